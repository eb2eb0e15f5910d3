// Internal: runs one validated call over its runs. The only place that
// dispatches: on the dtype's family, on the instruction set, and over the
// thread pool. A single-array call (core/relu.h) is a batch of one run.
//
//   KernelCall call{KernelCall::kRelu, Method::kAbs, DType::kFloat64};
//   absl::Status s = Execute(call, runs, options);
#ifndef TENSOR_TRANSFORM_CORE_EXECUTE_H_
#define TENSOR_TRANSFORM_CORE_EXECUTE_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/kernel_options.h"
#include "core/runs.h"
#include "core/types.h"

namespace tensor_transform::core::internal {

struct KernelCall {
  enum Kind { kRelu, kGradient };
  Kind kind;
  Method method;  // kRelu only
  DType dtype;
};

// `runs` already validated (core/validate.h): whole elements of call.dtype,
// out exactly an input or disjoint from it; an empty upstream is none.
// FailedPrecondition: options.isa is not supported by this CPU.
absl::Status Execute(const KernelCall& call, absl::Span<const Run> runs,
                     const KernelOptions& options);

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_EXECUTE_H_
