// ApplyStream, ApplyInPlaceStream and GradientStream: a header, then chunks
// of whole elements, each answered as soon as it is computed. Chunks are
// computed where they arrived (or into a pooled buffer) and sent from
// there, never copied; one chunk is being sent while the next is received
// and computed, and a computed chunk waits (reading pauses) while the one
// before is still being sent: memory stays O(chunk) whatever the array size.
#ifndef TENSOR_TRANSFORM_SERVER_RPC_STREAM_CALL_H_
#define TENSOR_TRANSFORM_SERVER_RPC_STREAM_CALL_H_

#include <optional>

#include "server/rpc/stream_assembler.h"
#include "server/rpc/transform_call.h"

namespace tensor_transform::server {

class StreamCall final : public TransformCall {
 public:
  StreamCall(const CallEnv& env, const TransformRpc& rpc,
             grpc::CallbackServerContext* context);

  void OnWriteDone(bool ok) override;

 private:
  void OnMessage(grpc::ByteBuffer& message) override;
  void OnRequestsDone() override;
  // Computes one accepted chunk; the response to send.
  grpc::Status ComputeChunk(Operands& ops, grpc::ByteBuffer* response);
  // Sends `response` now, or after the one being sent. mu_ is held.
  void Send(grpc::ByteBuffer response);
  // Ends the call once every computed chunk has been sent. mu_ is held.
  void EndAfterWrites(const grpc::Status& status);

  StreamAssembler assembler_;
  bool writing_ = false;
  grpc::ByteBuffer sending_;
  std::optional<grpc::ByteBuffer> waiting_;
  std::optional<grpc::Status> end_status_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_STREAM_CALL_H_
