#include "server/rpc/validation.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/fastest_method.h"
#include "proto/wire.h"

namespace tensor_transform::server {
namespace {

using Shape = google::protobuf::RepeatedField<int64_t>;

std::string ShapeString(const Shape& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Product of the dims, or nullopt when it does not fit int64. A zero dim
// makes the count 0 whatever the other dims are, as in NumPy.
std::optional<int64_t> ElementCount(const Shape& shape) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(count, dim, &count)) return std::nullopt;
  }
  return count;
}

absl::Status CheckRankAndDims(const Shape& shape, absl::string_view field) {
  if (shape.size() > kMaxRank) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape: rank ", shape.size(),
                     ", but the rank must be <= ", kMaxRank));
  }
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".shape[", i, "]: ", shape[i],
                       ", but dimensions must be >= 0"));
    }
  }
  return absl::OkStatus();
}

// Rejects fields the server's schema does not know. An unknown oneof case of
// Transform arrives as exactly such a field, so this is how a transform added
// after this build is refused.
absl::Status RejectUnknownFields(const google::protobuf::Message& message,
                                 absl::string_view field) {
  const google::protobuf::UnknownFieldSet& unknown =
      message.GetReflection()->GetUnknownFields(message);
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": field number ", unknown.field(0).number(),
      " is not known to this server, which supports only the relu transform"));
}

absl::Status ValidateUpstream(const v1::Tensor& upstream, size_t data_bytes,
                              const v1::Tensor& x) {
  absl::StatusOr<TensorSpec> spec =
      ValidateTensor(upstream, data_bytes, "upstream");
  if (!spec.ok()) return spec.status();
  if (upstream.dtype() != x.dtype()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upstream.dtype: ", v1::DType_Name(upstream.dtype()),
        ", but x.dtype is ", v1::DType_Name(x.dtype()), "; they must match"));
  }
  if (!std::equal(upstream.shape().begin(), upstream.shape().end(),
                  x.shape().begin(), x.shape().end())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upstream.shape: ", ShapeString(upstream.shape()), ", but x.shape is ",
        ShapeString(x.shape()), "; they must match"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TensorSpec> ValidateDTypeAndShape(v1::DType dtype,
                                                 const Shape& shape,
                                                 absl::string_view field) {
  absl::StatusOr<core::DType> core_dtype =
      wire::DTypeFromProto(dtype, absl::StrCat(field, ".dtype"));
  if (!core_dtype.ok()) return core_dtype.status();
  absl::Status dims = CheckRankAndDims(shape, field);
  if (!dims.ok()) return dims;
  std::optional<int64_t> elements = ElementCount(shape);
  if (!elements.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape: ", ShapeString(shape),
                     " has more than 2^63-1 elements"));
  }
  TensorSpec spec{*core_dtype, *elements, 0};
  const auto itemsize = static_cast<int64_t>(core::ItemSize(*core_dtype));
  if (__builtin_mul_overflow(*elements, itemsize, &spec.bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".shape: ", ShapeString(shape), " of ",
                     v1::DType_Name(dtype), " needs more than 2^63-1 bytes"));
  }
  return spec;
}

absl::StatusOr<TensorSpec> ValidateTensor(const v1::Tensor& tensor,
                                          size_t data_bytes,
                                          absl::string_view field) {
  absl::StatusOr<TensorSpec> spec =
      ValidateDTypeAndShape(tensor.dtype(), tensor.shape(), field);
  if (!spec.ok()) return spec;
  const auto size = static_cast<int64_t>(data_bytes);
  if (tensor.has_shared_memory()) {
    if (size != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".data: ", size, " bytes, but ", field,
          ".shared_memory is set; a tensor's bytes are in one or the other"));
    }
    absl::Status ref =
        ValidateSharedMemoryRef(tensor.shared_memory(), spec->bytes,
                                absl::StrCat(field, ".shared_memory"));
    if (!ref.ok()) return ref;
    return spec;
  }
  if (size != spec->bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".data: ", size, " bytes, but shape ",
                     ShapeString(tensor.shape()), " of ",
                     v1::DType_Name(tensor.dtype()), " needs ", spec->bytes));
  }
  return spec;
}

absl::Status ValidateSharedMemoryRef(const v1::SharedMemoryRef& ref,
                                     int64_t bytes, absl::string_view field) {
  if (ref.byte_size() == static_cast<uint64_t>(bytes)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ".byte_size: ", ref.byte_size(),
                   ", but the tensor needs ", bytes, " bytes"));
}

absl::Status ValidateTransform(const v1::Transform& transform,
                               absl::string_view field) {
  absl::Status unknown = RejectUnknownFields(transform, field);
  if (!unknown.ok()) return unknown;
  switch (transform.kind_case()) {
    case v1::Transform::KIND_NOT_SET:
      return absl::OkStatus();
    case v1::Transform::kRelu:
      return RejectUnknownFields(transform.relu(),
                                 absl::StrCat(field, ".relu"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": case ", static_cast<int>(transform.kind_case()),
                   " is not a known transform; supported: relu"));
}

absl::StatusOr<core::Method> ResolveApplyMethod(v1::Method method,
                                                core::DType dtype,
                                                absl::string_view field) {
  absl::StatusOr<std::optional<core::Method>> known =
      wire::MethodFromProto(method, field);
  if (!known.ok()) return known.status();
  if (known->has_value()) return **known;
  return core::FastestMethod(dtype);
}

absl::StatusOr<core::Method> ResolveGradientMethod(v1::Method method,
                                                   absl::string_view field) {
  const v1::Method supported = wire::MethodToProto(kGradientMethod);
  if (method == v1::METHOD_UNSPECIFIED || method == supported) {
    return kGradientMethod;
  }
  absl::StatusOr<std::optional<core::Method>> known =
      wire::MethodFromProto(method, field);
  if (!known.ok()) return known.status();
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": ", v1::Method_Name(method), ", but the gradient supports only ",
      v1::Method_Name(supported), " (or METHOD_UNSPECIFIED)"));
}

absl::StatusOr<ApplySpec> ValidateApplyRequest(const v1::ApplyRequest& request,
                                               size_t data_bytes) {
  absl::StatusOr<TensorSpec> tensor =
      ValidateTensor(request.tensor(), data_bytes, "tensor");
  if (!tensor.ok()) return tensor.status();
  absl::Status transform = ValidateTransform(request.transform(), "transform");
  if (!transform.ok()) return transform;
  absl::StatusOr<core::Method> method =
      ResolveApplyMethod(request.method(), tensor->dtype, "method");
  if (!method.ok()) return method.status();
  if (request.has_output()) {
    absl::Status output =
        ValidateSharedMemoryRef(request.output(), tensor->bytes, "output");
    if (!output.ok()) return output;
  }
  return ApplySpec{*tensor, *method};
}

absl::StatusOr<GradientSpec> ValidateGradientRequest(
    const v1::GradientRequest& request, size_t x_data_bytes,
    size_t upstream_data_bytes) {
  absl::StatusOr<TensorSpec> x = ValidateTensor(request.x(), x_data_bytes, "x");
  if (!x.ok()) return x.status();
  if (request.has_upstream()) {
    absl::Status upstream =
        ValidateUpstream(request.upstream(), upstream_data_bytes, request.x());
    if (!upstream.ok()) return upstream;
  }
  absl::Status transform = ValidateTransform(request.transform(), "transform");
  if (!transform.ok()) return transform;
  absl::StatusOr<core::Method> method =
      ResolveGradientMethod(request.method(), "method");
  if (!method.ok()) return method.status();
  if (request.has_output()) {
    absl::Status output =
        ValidateSharedMemoryRef(request.output(), x->bytes, "output");
    if (!output.ok()) return output;
  }
  return GradientSpec{*x, request.has_upstream(), *method};
}

}  // namespace tensor_transform::server
