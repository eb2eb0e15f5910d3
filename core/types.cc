#include "core/types.h"

namespace tensor_transform::core {

size_t ItemSize(DType dtype) {
  switch (dtype) {
    case DType::kInt8:
      return 1;
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kInt16:
      return 2;
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kFloat64:
    case DType::kInt64:
      return 8;
  }
  return 0;
}

absl::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kFloat64:
      return "float64";
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
    case DType::kInt8:
      return "int8";
    case DType::kInt16:
      return "int16";
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
  }
  return "unknown";
}

absl::string_view MethodName(Method method) {
  switch (method) {
    case Method::kMaximum:
      return "maximum";
    case Method::kMultiply:
      return "multiply";
    case Method::kAbs:
      return "abs";
    case Method::kMasked:
      return "masked";
  }
  return "unknown";
}

std::optional<DType> ParseDType(absl::string_view name) {
  for (DType dtype : kAllDTypes) {
    if (DTypeName(dtype) == name) return dtype;
  }
  return std::nullopt;
}

std::optional<Method> ParseMethod(absl::string_view name) {
  for (Method method : kAllMethods) {
    if (MethodName(method) == name) return method;
  }
  return std::nullopt;
}

}  // namespace tensor_transform::core
