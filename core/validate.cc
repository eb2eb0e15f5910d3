#include "core/validate.h"

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace tensor_transform::core::internal {
namespace {

template <class Enum, size_t kCount>
absl::Status CheckKnown(absl::string_view name, Enum value,
                        const std::array<Enum, kCount>& known) {
  for (Enum k : known) {
    if (k == value) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": unknown value ", static_cast<int>(value)));
}

// Kernels load and store through unaligned vector instructions and memcpy
// (or aligned stack copies, core/stack_scratch.h), so a buffer may start at
// any address; only its size must be whole elements.
absl::Status CheckWholeElements(const BufferNames& names,
                                absl::string_view buffer, DType dtype,
                                size_t size) {
  const size_t item = ItemSize(dtype);
  if (size % item == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      names(buffer), ": ", size, " bytes is not a whole number of ",
      DTypeName(dtype), " elements of ", item, " bytes"));
}

absl::Status CheckSameSize(const BufferNames& names, absl::string_view buffer,
                           size_t size, size_t x_size) {
  if (size == x_size) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(names(buffer), ": ", size, " bytes, but ", names("x"),
                   " has ", x_size, "; they must be the same size"));
}

// Kernels are element-wise, so out may be exactly an input (each element is
// read before it is written) or disjoint from it; a shifted overlap would
// read elements already overwritten.
absl::Status CheckNoPartialOverlap(const BufferNames& names, const uint8_t* out,
                                   absl::string_view input_buffer,
                                   const uint8_t* input, size_t size) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(out);
  const uintptr_t b = reinterpret_cast<uintptr_t>(input);
  if (size == 0 || a == b || a + size <= b || b + size <= a) {
    return absl::OkStatus();
  }
  const bool out_after = a > b;
  const std::string input_name = names(input_buffer);
  return absl::InvalidArgumentError(
      absl::StrCat(names("out"), ": starts ", out_after ? a - b : b - a,
                   " bytes ", out_after ? "after " : "before ", input_name,
                   " and overlaps it; it must be exactly ", input_name,
                   " or disjoint from it"));
}

// `buffer` (out or upstream) beside x: whole elements and x's size.
absl::Status CheckBesideX(const BufferNames& names, absl::string_view buffer,
                          DType dtype, size_t size, size_t x_size) {
  absl::Status s = CheckWholeElements(names, buffer, dtype, size);
  if (!s.ok()) return s;
  return CheckSameSize(names, buffer, size, x_size);
}

}  // namespace

std::string BufferNames::operator()(absl::string_view buffer) const {
  if (!run.has_value()) return std::string(buffer);
  return absl::StrCat("runs[", *run, "].", buffer);
}

absl::Status CheckMethod(Method method) {
  return CheckKnown("method", method, kAllMethods);
}

absl::Status CheckDType(DType dtype) {
  return CheckKnown("dtype", dtype, kAllDTypes);
}

absl::Status CheckRun(DType dtype, const Run& run, const BufferNames& names) {
  const size_t size = run.x.size();
  absl::Status s = CheckWholeElements(names, "x", dtype, size);
  if (!s.ok()) return s;
  s = CheckBesideX(names, "out", dtype, run.out.size(), size);
  if (!s.ok()) return s;
  s = CheckNoPartialOverlap(names, run.out.data(), "x", run.x.data(), size);
  if (!s.ok() || run.upstream.empty()) return s;
  s = CheckBesideX(names, "upstream", dtype, run.upstream.size(), size);
  if (!s.ok()) return s;
  return CheckNoPartialOverlap(names, run.out.data(), "upstream",
                               run.upstream.data(), size);
}

}  // namespace tensor_transform::core::internal
