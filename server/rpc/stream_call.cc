#include "server/rpc/stream_call.h"

#include <utility>
#include <vector>

#include "proto/tensor_slices.h"
#include "proto/tensor_transform.pb.h"
#include "proto/wire.h"
#include "server/rpc/status_convert.h"

namespace tensor_transform::server {
namespace {

namespace v1 = ::tensor_transform::v1;

constexpr int kChunkFields[] = {v1::StreamRequest::kDataFieldNumber,
                                v1::StreamRequest::kUpstreamFieldNumber};

}  // namespace

StreamCall::StreamCall(const CallEnv& env, const TransformRpc& rpc,
                       grpc::CallbackServerContext* context)
    : TransformCall(env, rpc, context),
      assembler_(rpc.gradient ? StreamKind::kGradient : StreamKind::kApply,
                 env.max_stream_elements) {}

void StreamCall::OnMessage(grpc::ByteBuffer& message) {
  absl::StatusOr<tensor_slices::SplitMessage> split =
      tensor_slices::Split(message, {}, kChunkFields);
  if (!split.ok()) return EndAfterWrites(ToGrpcStatus(split.status()));
  v1::StreamRequest small;
  if (!small.ParseFromString(split->skeleton)) {
    return EndAfterWrites(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "the message does not parse as tensor_transform.v1.StreamRequest"));
  }
  tensor_slices::Data& data = split->data[0];
  tensor_slices::Data& upstream = split->data[1];
  absl::Status accepted = assembler_.Accept(small, data.size, upstream.size);
  if (!accepted.ok()) return EndAfterWrites(ToGrpcStatus(accepted));
  if (assembler_.chunks() == 0) return ReadNext();  // that was the header
  const StreamSpec& spec = assembler_.spec();
  Operands ops{spec.dtype,      spec.method,         rpc_.gradient,
               std::move(data), std::move(upstream), {}};
  grpc::ByteBuffer response;
  grpc::Status status = ComputeChunk(ops, &response);
  if (!status.ok()) return EndAfterWrites(status);
  Send(std::move(response));
}

grpc::Status StreamCall::ComputeChunk(Operands& ops,
                                      grpc::ByteBuffer* response) {
  Computed out;
  grpc::Status status = Run(ops, &out);
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  tensor_slices::AppendBytes(v1::StreamResponse::kDataFieldNumber,
                             std::move(out.data), &slices);
  v1::StreamResponse rest;
  rest.set_method(wire::MethodToProto(ops.method));
  rest.set_server_compute_ns(out.compute_ns);
  tensor_slices::AppendMessage(rest, &slices);
  *response = grpc::ByteBuffer(slices.data(), slices.size());
  return grpc::Status::OK;
}

void StreamCall::Send(grpc::ByteBuffer response) {
  if (ended()) return;
  if (writing_) {
    waiting_ = std::move(response);  // reading resumes once it is sent
    return;
  }
  writing_ = true;
  sending_ = std::move(response);
  // Read first: the flow-control window the read opens for the next chunk
  // then leaves with this write. Read after it, the window update waited
  // for the next write, and a client with a fixed window (no BDP probing:
  // the Python client, Go and Java clients set so) stalled on it twice per
  // chunk instead of once.
  if (!end_status_) ReadNext();
  StartWrite(&sending_);
}

void StreamCall::OnWriteDone(bool ok) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  writing_ = false;
  sending_.Clear();
  if (ended()) return;
  if (!ok) return End(Cancelled());
  if (waiting_) {
    grpc::ByteBuffer next = std::move(*waiting_);
    waiting_.reset();
    return Send(std::move(next));
  }
  if (end_status_) End(*end_status_);
}

void StreamCall::OnRequestsDone() {
  EndAfterWrites(ToGrpcStatus(assembler_.Finish()));
}

void StreamCall::EndAfterWrites(const grpc::Status& status) {
  if (writing_) {
    end_status_ = status;
    return;
  }
  End(status);
}

}  // namespace tensor_transform::server
