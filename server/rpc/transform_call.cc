#include "server/rpc/transform_call.h"

#include "absl/strings/str_cat.h"
#include "server/rpc/status_convert.h"

namespace tensor_transform::server {

grpc::Status Cancelled() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
}

TransformCall::TransformCall(const CallEnv& env, const TransformRpc& rpc,
                             grpc::CallbackServerContext* context)
    : env_(env), rpc_(rpc), context_(context) {
  env_.watchdog->Add(this);
  std::lock_guard<std::recursive_mutex> lock(mu_);
  ReadNext();
}

void TransformCall::ReadNext() {
  if (ended_) return;
  reading_ = true;
  StartWaiting();
  StartRead(&request_);
}

void TransformCall::End(const grpc::Status& status) {
  if (ended_) return;
  ended_ = true;
  Finish(status);
}

void TransformCall::RespondAndEnd(const grpc::ByteBuffer* response) {
  if (ended_) return;
  ended_ = true;
  StartWriteAndFinish(response, grpc::WriteOptions(), grpc::Status::OK);
}

void TransformCall::OnReadDone(bool ok) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  reading_ = false;
  StopWaiting();
  if (ended_) return;
  if (context_->IsCancelled()) return End(Cancelled());
  if (!ok) return OnRequestsDone();
  // A peer that disconnects in the middle of a message can leave gRPC
  // reporting a read of an empty, invalid buffer.
  if (!request_.Valid()) {
    return End(grpc::Status(grpc::StatusCode::CANCELLED,
                            "the request message ended before it was whole"));
  }
  // Moved out first: OnMessage may start the next read into request_.
  grpc::ByteBuffer message;
  message.Swap(&request_);
  OnMessage(message);
}

void TransformCall::ReceiveTimedOut() {
  Ref();  // the call may end inline here, and OnDone let go of it
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    if (reading_ && !ended_) {
      End(grpc::Status(
          grpc::StatusCode::DEADLINE_EXCEEDED,
          absl::StrCat("receive_timeout: no whole request message arrived "
                       "within ",
                       absl::FormatDuration(env_.watchdog->timeout()),
                       "; the server ends calls whose request stalls")));
    }
  }
  Unref();
}

void TransformCall::OnDone() {
  env_.watchdog->Remove(this);
  Unref();
}

void TransformCall::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

grpc::Status TransformCall::Run(Operands& ops, Computed* out) {
  // The server's own memory only: never a client's shared-memory tensor.
  const bool in_place =
      rpc_.in_place && !ops.shared.x && ReceivedIntoOwnMemory(*context_);
  grpc::Status admitted = env_.guard->Admit(*context_, ReceivedBytes(ops),
                                            HeldBytes(ops, in_place));
  if (!admitted.ok()) return admitted;
  absl::StatusOr<Computed> computed = Compute(
      ops, in_place, *env_.pool, [this] { return context_->IsCancelled(); });
  if (!computed.ok()) return ToGrpcStatus(computed.status());
  *out = *std::move(computed);
  const size_t sent = ops.shared.out.has_value() ? 0 : ops.x.size;
  env_.guard->Computed(*context_, ops.method, out->compute_ns,
                       static_cast<int64_t>(sent));
  return grpc::Status::OK;
}

}  // namespace tensor_transform::server
