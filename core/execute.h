// Internal: runs one validated kernel call. The only place that dispatches:
// on the dtype's family, on the instruction set, and over the thread pool.
//
//   KernelCall call{KernelCall::kRelu, Method::kAbs, DType::kFloat64, x,
//                   nullptr, out, n};
//   absl::Status s = Execute(call, options);
#ifndef TENSOR_TRANSFORM_CORE_EXECUTE_H_
#define TENSOR_TRANSFORM_CORE_EXECUTE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "core/kernel_options.h"
#include "core/types.h"

namespace tensor_transform::core::internal {

// Buffers already validated by relu.cc: n elements of dtype each, out exactly
// an input or disjoint from it. upstream is null unless a gradient has one.
struct KernelCall {
  enum Kind { kRelu, kGradient };
  Kind kind;
  Method method;  // kRelu only
  DType dtype;
  const uint8_t* x;
  const uint8_t* upstream;
  uint8_t* out;
  size_t n;
};

// FailedPrecondition: options.isa is not supported by this CPU.
absl::Status Execute(const KernelCall& call, const KernelOptions& options);

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_EXECUTE_H_
