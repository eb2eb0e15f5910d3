#include "client/generic_call.h"

#include <cstdint>
#include <memory>

namespace tensor_transform::client {
namespace {

enum Tag : intptr_t { kStart = 1, kWrite, kWritesDone, kRead, kFinish };

void* ToTag(Tag tag) { return reinterpret_cast<void*>(tag); }

// A completion queue must be shut down and drained before it is destroyed.
void ShutdownAndDrain(grpc::CompletionQueue& cq) {
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

// The state of one streaming call: which operations are in flight.
class StreamDriver {
 public:
  StreamDriver(absl::FunctionRef<bool(grpc::ByteBuffer*)> next_request,
               absl::FunctionRef<bool(grpc::ByteBuffer*)> on_response)
      : next_request_(next_request), on_response_(on_response) {}

  grpc::Status Run(grpc::GenericStub& stub, grpc::ClientContext* context,
                   const std::string& method) {
    call_ = stub.PrepareCall(context, method, &cq_);
    if (call_ == nullptr) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "cannot create call");
    }
    call_->StartCall(ToTag(kStart));
    ++pending_;
    bool ok;
    if (Next(&ok) == kStart && ok) {
      StartWrite();
      StartRead();
    }
    while (reading_ || writing_) Handle(context);
    grpc::Status status;
    call_->Finish(&status, ToTag(kFinish));
    ++pending_;
    while (pending_ > 0) Next(&ok);
    ShutdownAndDrain(cq_);
    return status;
  }

 private:
  Tag Next(bool* ok) {
    void* tag;
    cq_.Next(&tag, ok);
    --pending_;
    return static_cast<Tag>(reinterpret_cast<intptr_t>(tag));
  }

  void StartWrite() {
    if (next_request_(&out_)) {
      call_->Write(out_, ToTag(kWrite));
    } else {
      call_->WritesDone(ToTag(kWritesDone));
    }
    writing_ = true;
    ++pending_;
  }

  void StartRead() {
    call_->Read(&in_, ToTag(kRead));
    reading_ = true;
    ++pending_;
  }

  void Handle(grpc::ClientContext* context) {
    bool ok;
    switch (Next(&ok)) {
      case kWrite:
        writing_ = false;
        // Not ok: the call has ended; its status comes from Finish.
        if (ok) StartWrite();
        break;
      case kWritesDone:
        writing_ = false;
        break;
      case kRead:
        reading_ = false;
        if (!ok) break;  // the server has finished sending
        if (on_response_(&in_)) {
          StartRead();
        } else {
          context->TryCancel();
        }
        break;
      default:
        break;
    }
  }

  absl::FunctionRef<bool(grpc::ByteBuffer*)> next_request_;
  absl::FunctionRef<bool(grpc::ByteBuffer*)> on_response_;
  grpc::CompletionQueue cq_;
  // Declared after cq_: destroyed before it.
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  grpc::ByteBuffer out_;
  grpc::ByteBuffer in_;
  int pending_ = 0;
  bool writing_ = false;
  bool reading_ = false;
};

}  // namespace

grpc::Status UnaryByteCall(grpc::GenericStub& stub,
                           grpc::ClientContext* context,
                           const std::string& method,
                           const grpc::ByteBuffer& request,
                           grpc::ByteBuffer* response) {
  grpc::CompletionQueue cq;
  grpc::Status status;
  {
    auto call = stub.PrepareUnaryCall(context, method, request, &cq);
    call->StartCall();
    call->Finish(response, &status, ToTag(kFinish));
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
  }
  ShutdownAndDrain(cq);
  return status;
}

grpc::Status StreamByteCall(
    grpc::GenericStub& stub, grpc::ClientContext* context,
    const std::string& method,
    absl::FunctionRef<bool(grpc::ByteBuffer*)> next_request,
    absl::FunctionRef<bool(grpc::ByteBuffer*)> on_response) {
  StreamDriver driver(next_request, on_response);
  return driver.Run(stub, context, method);
}

}  // namespace tensor_transform::client
