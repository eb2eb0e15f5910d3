#include "core/relu.h"

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/execute.h"

namespace tensor_transform::core {
namespace {

// The enums arrive from callers that may have cast them from wire integers.
template <class Enum, size_t kCount>
absl::Status CheckKnown(absl::string_view name, Enum value,
                        const std::array<Enum, kCount>& known) {
  for (Enum k : known) {
    if (k == value) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": unknown value ", static_cast<int>(value)));
}

// A buffer must hold whole elements and start on an element boundary, so that
// kernels can read it as T*. An empty buffer is never read, so any pointer is
// accepted for it.
absl::Status CheckBuffer(absl::string_view name, DType dtype,
                         const uint8_t* data, size_t size) {
  const size_t item = ItemSize(dtype);
  if (size % item != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", size, " bytes is not a whole number of ",
                     DTypeName(dtype), " elements of ", item, " bytes"));
  }
  const uintptr_t address = reinterpret_cast<uintptr_t>(data);
  if (size != 0 && address % item != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, ": address 0x", absl::Hex(address), " is not aligned to the ",
        item, "-byte size of ", DTypeName(dtype)));
  }
  return absl::OkStatus();
}

absl::Status CheckSameSize(absl::string_view name, size_t size,
                           absl::string_view other_name, size_t other_size) {
  if (size == other_size) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": ", size, " bytes, but ", other_name, " has ",
                   other_size, "; they must be the same size"));
}

// Kernels are element-wise, so out may be exactly an input (each element is
// read before it is written) or disjoint from it; a shifted overlap would
// read elements already overwritten.
absl::Status CheckNoPartialOverlap(absl::string_view name, const uint8_t* out,
                                   absl::string_view input_name,
                                   const uint8_t* input, size_t size) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(out);
  const uintptr_t b = reinterpret_cast<uintptr_t>(input);
  if (size == 0 || a == b || a + size <= b || b + size <= a) {
    return absl::OkStatus();
  }
  const bool out_after = a > b;
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": starts ", out_after ? a - b : b - a, " bytes ",
                   out_after ? "after " : "before ", input_name,
                   " and overlaps it; it must be exactly ", input_name,
                   " or disjoint from it"));
}

absl::Status ValidateOutAndX(DType dtype, absl::Span<const uint8_t> x,
                             absl::Span<uint8_t> out) {
  absl::Status s = CheckKnown("dtype", dtype, kAllDTypes);
  if (!s.ok()) return s;
  s = CheckBuffer("x", dtype, x.data(), x.size());
  if (!s.ok()) return s;
  s = CheckBuffer("out", dtype, out.data(), out.size());
  if (!s.ok()) return s;
  s = CheckSameSize("out", out.size(), "x", x.size());
  if (!s.ok()) return s;
  return CheckNoPartialOverlap("out", out.data(), "x", x.data(), x.size());
}

absl::Status ValidateUpstream(DType dtype, absl::Span<const uint8_t> x,
                              absl::Span<const uint8_t> upstream,
                              absl::Span<uint8_t> out) {
  absl::Status s =
      CheckBuffer("upstream", dtype, upstream.data(), upstream.size());
  if (!s.ok()) return s;
  s = CheckSameSize("upstream", upstream.size(), "x", x.size());
  if (!s.ok()) return s;
  return CheckNoPartialOverlap("out", out.data(), "upstream", upstream.data(),
                               upstream.size());
}

}  // namespace

absl::Status Relu(Method method, DType dtype, absl::Span<const uint8_t> x,
                  absl::Span<uint8_t> out, const KernelOptions& options) {
  absl::Status s = CheckKnown("method", method, kAllMethods);
  if (!s.ok()) return s;
  s = ValidateOutAndX(dtype, x, out);
  if (!s.ok()) return s;
  const size_t n = x.size() / ItemSize(dtype);
  return internal::Execute({internal::KernelCall::kRelu, method, dtype,
                            x.data(), nullptr, out.data(), n},
                           options);
}

absl::Status ReluInPlace(Method method, DType dtype, absl::Span<uint8_t> x,
                         const KernelOptions& options) {
  return Relu(method, dtype, x, x, options);
}

absl::Status ReluGradient(DType dtype, absl::Span<const uint8_t> x,
                          absl::Span<const uint8_t> upstream,
                          absl::Span<uint8_t> out,
                          const KernelOptions& options) {
  absl::Status s = ValidateOutAndX(dtype, x, out);
  if (!s.ok()) return s;
  const bool has_upstream = !upstream.empty();
  if (has_upstream) s = ValidateUpstream(dtype, x, upstream, out);
  if (!s.ok()) return s;
  const size_t n = x.size() / ItemSize(dtype);
  const uint8_t* g = has_upstream ? upstream.data() : nullptr;
  return internal::Execute({internal::KernelCall::kGradient, Method::kMultiply,
                            dtype, x.data(), g, out.data(), n},
                           options);
}

}  // namespace tensor_transform::core
