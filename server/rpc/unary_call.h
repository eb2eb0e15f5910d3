// Apply, ApplyInPlace and Gradient: one request message, one response,
// through one code path. The request is split without copying its tensor
// data (proto/tensor_slices.h), validated whole, admitted, computed where it
// lies (server/rpc/transform.h), and the response sent from the result's
// buffer.
#ifndef TENSOR_TRANSFORM_SERVER_RPC_UNARY_CALL_H_
#define TENSOR_TRANSFORM_SERVER_RPC_UNARY_CALL_H_

#include "server/rpc/transform_call.h"

namespace tensor_transform::server {

class UnaryCall final : public TransformCall {
 public:
  using TransformCall::TransformCall;

 private:
  void OnMessage(grpc::ByteBuffer& message) override;
  void OnRequestsDone() override;

  grpc::ByteBuffer response_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_UNARY_CALL_H_
