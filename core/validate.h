// Internal: the argument checks shared by the single-array calls
// (core/relu.h) and the batched ones (core/runs.h), so both reject the same
// inputs with the same messages.
//
//   absl::Status s = CheckRun(DType::kFloat64, run, BufferNames{3});
//   // "runs[3].out: 12 bytes, but runs[3].x has 16; ..."
#ifndef TENSOR_TRANSFORM_CORE_VALIDATE_H_
#define TENSOR_TRANSFORM_CORE_VALIDATE_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/runs.h"
#include "core/types.h"

namespace tensor_transform::core::internal {

// Names a buffer in messages: "x" in a single call, "runs[3].x" for run 3 of
// a batch. Names are built only for a message, so checking allocates nothing.
struct BufferNames {
  std::optional<size_t> run;
  std::string operator()(absl::string_view buffer) const;
};

// InvalidArgument for a value outside the enum (callers may have cast it from
// a wire integer).
absl::Status CheckMethod(Method method);
absl::Status CheckDType(DType dtype);

// One run's buffers: sizes of whole elements, equal sizes, and out exactly an
// input or disjoint from it. An empty upstream is "none". Any address is
// accepted.
absl::Status CheckRun(DType dtype, const Run& run, const BufferNames& names);

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_VALIDATE_H_
