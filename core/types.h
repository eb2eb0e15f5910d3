// Element types and ReLU evaluation methods known to the core.
//
//   size_t bytes = ItemSize(DType::kFloat64) * 25'000'000;  // 200 MB
//   absl::string_view name = MethodName(Method::kAbs);        // "abs"
#ifndef TENSOR_TRANSFORM_CORE_TYPES_H_
#define TENSOR_TRANSFORM_CORE_TYPES_H_

#include <array>
#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace tensor_transform::core {

enum class DType {
  kFloat32,
  kFloat64,
  kFloat16,   // IEEE 754 binary16, stored as its bits
  kBFloat16,  // upper half of a binary32, stored as its bits
  kInt8,
  kInt16,
  kInt32,
  kInt64,
};

inline constexpr std::array<DType, 8> kAllDTypes = {
    DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16,
    DType::kInt8,    DType::kInt16,   DType::kInt32,   DType::kInt64};

// How ReLU is evaluated; every method gives bit-identical results.
enum class Method {
  kMaximum,   // np.maximum(x, 0)
  kMultiply,  // x * (x > 0)
  kAbs,       // (|x| + x) / 2
  kMasked,    // x[x <= 0] = 0
};

inline constexpr std::array<Method, 4> kAllMethods = {
    Method::kMaximum, Method::kMultiply, Method::kAbs, Method::kMasked};

// Bytes per element.
size_t ItemSize(DType dtype);

// Lower-case names used on command lines and in reports: "float64", "abs".
absl::string_view DTypeName(DType dtype);
absl::string_view MethodName(Method method);

// Inverse of DTypeName / MethodName; nullopt for an unknown name.
std::optional<DType> ParseDType(absl::string_view name);
std::optional<Method> ParseMethod(absl::string_view name);

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_TYPES_H_
