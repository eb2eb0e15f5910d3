#include "core/relu.h"

#include <cstddef>
#include <cstdint>

#include "core/execute.h"
#include "core/runs.h"
#include "core/validate.h"

namespace tensor_transform::core {

absl::Status Relu(Method method, DType dtype, absl::Span<const uint8_t> x,
                  absl::Span<uint8_t> out, const KernelOptions& options) {
  absl::Status s = internal::CheckMethod(method);
  if (!s.ok()) return s;
  s = internal::CheckDType(dtype);
  if (!s.ok()) return s;
  const Run run{x, {}, out};
  s = internal::CheckRun(dtype, run, {});
  if (!s.ok()) return s;
  return internal::Execute({internal::KernelCall::kRelu, method, dtype},
                           {&run, 1}, options);
}

absl::Status ReluInPlace(Method method, DType dtype, absl::Span<uint8_t> x,
                         const KernelOptions& options) {
  return Relu(method, dtype, x, x, options);
}

absl::Status ReluGradient(DType dtype, absl::Span<const uint8_t> x,
                          absl::Span<const uint8_t> upstream,
                          absl::Span<uint8_t> out,
                          const KernelOptions& options) {
  absl::Status s = internal::CheckDType(dtype);
  if (!s.ok()) return s;
  const Run run{x, upstream, out};
  s = internal::CheckRun(dtype, run, {});
  if (!s.ok()) return s;
  return internal::Execute(
      {internal::KernelCall::kGradient, Method::kMultiply, dtype}, {&run, 1},
      options);
}

}  // namespace tensor_transform::core
