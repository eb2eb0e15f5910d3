// The one conversion from the core's absl::Status to the grpc::Status a
// handler returns. The canonical code is kept as is; the message is copied.
//
//   absl::Status s = core::ReluInPlace(method, dtype, data);
//   if (!s.ok()) return ToGrpcStatus(s);
#ifndef TENSOR_TRANSFORM_SERVER_RPC_STATUS_CONVERT_H_
#define TENSOR_TRANSFORM_SERVER_RPC_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace tensor_transform::server {

// Same code, same message; OK maps to OK. Payloads are not carried over.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_STATUS_CONVERT_H_
