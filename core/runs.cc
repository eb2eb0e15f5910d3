#include "core/runs.h"

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "core/execute.h"
#include "core/validate.h"

namespace tensor_transform::core {
namespace {

// Every run, before any is computed. `takes_upstream`: ReluGradientRuns.
absl::Status CheckRuns(DType dtype, absl::Span<const Run> runs,
                       bool takes_upstream) {
  absl::Status s = internal::CheckDType(dtype);
  for (size_t i = 0; i < runs.size() && s.ok(); ++i) {
    const internal::BufferNames names{i};
    s = internal::CheckRun(dtype, runs[i], names);
    if (s.ok() && !takes_upstream && !runs[i].upstream.empty()) {
      s = absl::InvalidArgumentError(absl::StrCat(
          names("upstream"), ": ", runs[i].upstream.size(),
          " bytes, but ReLU takes no upstream gradient; leave it empty"));
    }
  }
  return s;
}

}  // namespace

absl::Status ReluRuns(Method method, DType dtype, absl::Span<const Run> runs,
                      const KernelOptions& options) {
  absl::Status s = internal::CheckMethod(method);
  if (!s.ok()) return s;
  s = CheckRuns(dtype, runs, /*takes_upstream=*/false);
  if (!s.ok()) return s;
  return internal::Execute({internal::KernelCall::kRelu, method, dtype}, runs,
                           options);
}

absl::Status ReluGradientRuns(DType dtype, absl::Span<const Run> runs,
                              const KernelOptions& options) {
  absl::Status s = CheckRuns(dtype, runs, /*takes_upstream=*/true);
  if (!s.ok()) return s;
  return internal::Execute(
      {internal::KernelCall::kGradient, Method::kMultiply, dtype}, runs,
      options);
}

}  // namespace tensor_transform::core
