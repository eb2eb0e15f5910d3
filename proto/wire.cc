#include "proto/wire.h"

#include "absl/strings/str_cat.h"

namespace tensor_transform::wire {

absl::StatusOr<core::DType> DTypeFromProto(v1::DType dtype,
                                           absl::string_view field) {
  switch (dtype) {
    case v1::FLOAT32:
      return core::DType::kFloat32;
    case v1::FLOAT64:
      return core::DType::kFloat64;
    case v1::FLOAT16:
      return core::DType::kFloat16;
    case v1::BFLOAT16:
      return core::DType::kBFloat16;
    case v1::INT8:
      return core::DType::kInt8;
    case v1::INT16:
      return core::DType::kInt16;
    case v1::INT32:
      return core::DType::kInt32;
    case v1::INT64:
      return core::DType::kInt64;
    case v1::DTYPE_UNSPECIFIED:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": DTYPE_UNSPECIFIED, but a dtype is required"));
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", static_cast<int>(dtype), " is not a known DType"));
  }
}

v1::DType DTypeToProto(core::DType dtype) {
  switch (dtype) {
    case core::DType::kFloat32:
      return v1::FLOAT32;
    case core::DType::kFloat64:
      return v1::FLOAT64;
    case core::DType::kFloat16:
      return v1::FLOAT16;
    case core::DType::kBFloat16:
      return v1::BFLOAT16;
    case core::DType::kInt8:
      return v1::INT8;
    case core::DType::kInt16:
      return v1::INT16;
    case core::DType::kInt32:
      return v1::INT32;
    case core::DType::kInt64:
      return v1::INT64;
  }
  return v1::DTYPE_UNSPECIFIED;
}

absl::StatusOr<std::optional<core::Method>> MethodFromProto(
    v1::Method method, absl::string_view field) {
  switch (method) {
    case v1::METHOD_UNSPECIFIED:
      return std::optional<core::Method>();
    case v1::MAXIMUM:
      return core::Method::kMaximum;
    case v1::MULTIPLY:
      return core::Method::kMultiply;
    case v1::ABS:
      return core::Method::kAbs;
    case v1::MASKED:
      return core::Method::kMasked;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", static_cast<int>(method), " is not a known Method"));
  }
}

v1::Method MethodToProto(core::Method method) {
  switch (method) {
    case core::Method::kMaximum:
      return v1::MAXIMUM;
    case core::Method::kMultiply:
      return v1::MULTIPLY;
    case core::Method::kAbs:
      return v1::ABS;
    case core::Method::kMasked:
      return v1::MASKED;
  }
  return v1::METHOD_UNSPECIFIED;
}

}  // namespace tensor_transform::wire
