// Conversions between the wire enums of tensor_transform.v1 and the core's.
//
//   absl::StatusOr<core::DType> dtype =
//       DTypeFromProto(request.tensor().dtype(), "tensor.dtype");
#ifndef TENSOR_TRANSFORM_SERVER_WIRE_H_
#define TENSOR_TRANSFORM_SERVER_WIRE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "core/types.h"
#include "proto/tensor_transform.pb.h"

namespace tensor_transform::server {

namespace v1 = ::tensor_transform::v1;

// InvalidArgument for DTYPE_UNSPECIFIED or a value this build does not know;
// the message names `field`.
absl::StatusOr<core::DType> DTypeFromProto(v1::DType dtype,
                                           absl::string_view field);
v1::DType DTypeToProto(core::DType dtype);

// nullopt for METHOD_UNSPECIFIED (the server's choice); InvalidArgument for a
// value this build does not know.
absl::StatusOr<std::optional<core::Method>> MethodFromProto(
    v1::Method method, absl::string_view field);
v1::Method MethodToProto(core::Method method);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_WIRE_H_
