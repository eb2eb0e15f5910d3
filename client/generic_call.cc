#include "client/generic_call.h"

#include <optional>
#include <utility>

namespace tensor_transform::client {
namespace {

// What every operation these calls start on a queue passes as its tag.
class CompletionTag {
 public:
  virtual void Run(bool ok) = 0;

 protected:
  ~CompletionTag() = default;
};

// The tag of one kind of operation of a call: runs the call's handler.
template <typename Call>
class HandlerTag final : public CompletionTag {
 public:
  HandlerTag(Call* call, void (Call::*handler)(bool))
      : call_(call), handler_(handler) {}
  void Run(bool ok) override { (call_->*handler_)(ok); }

 private:
  Call* call_;
  void (Call::*handler_)(bool);
};

// One unary call; deletes itself when it ends.
class UnaryCall final : public CompletionTag {
 public:
  UnaryCall(std::unique_ptr<grpc::ClientContext> context, UnaryDone done)
      : context_(std::move(context)), done_(std::move(done)) {}

  void Start(grpc::GenericStub& stub, const std::string& method,
             const grpc::ByteBuffer& request, grpc::CompletionQueue* cq) {
    call_ = stub.PrepareUnaryCall(context_.get(), method, request, cq);
    call_->StartCall();
    call_->Finish(&response_, &status_, this);
  }

  void Run(bool /*ok: always true for Finish*/) override {
    done_(status_, &response_);
    delete this;
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  // Declared after context_: destroyed before it, as gRPC requires.
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> call_;
  grpc::ByteBuffer response_;
  grpc::Status status_;
  UnaryDone done_;
};

// One streaming call: which operations are in flight. Finish is asked for
// once neither a read nor a write is, so that it is the call's last event;
// the call then deletes itself.
class StreamCall {
 public:
  StreamCall(std::unique_ptr<grpc::ClientContext> context,
             StreamCallbacks callbacks)
      : context_(std::move(context)), callbacks_(std::move(callbacks)) {}

  void Start(grpc::GenericStub& stub, const std::string& method,
             grpc::CompletionQueue* cq) {
    call_ = stub.PrepareCall(context_.get(), method, cq);
    call_->StartCall(&start_tag_);
  }

 private:
  void OnStart(bool ok) {
    if (ok) {
      StartWrite();
      StartRead();
    }
    MaybeFinish();
  }

  void StartWrite() {
    if (callbacks_.next_request(&out_)) {
      call_->Write(out_, &write_tag_);
    } else {
      call_->WritesDone(&write_tag_);
      half_closed_ = true;
    }
    writing_ = true;
  }

  // Not ok: the call has ended; its status comes from Finish.
  void OnWrite(bool ok) {
    writing_ = false;
    if (ok && !half_closed_) StartWrite();
    MaybeFinish();
  }

  void StartRead() {
    call_->Read(&in_, &read_tag_);
    reading_ = true;
  }

  // Not ok: the server has finished sending.
  void OnRead(bool ok) {
    reading_ = false;
    if (ok) {
      if (callbacks_.on_response(&in_)) {
        StartRead();
      } else {
        context_->TryCancel();
      }
    }
    MaybeFinish();
  }

  void MaybeFinish() {
    if (reading_ || writing_) return;
    call_->Finish(&status_, &finish_tag_);
  }

  void OnFinish(bool /*ok: always true for Finish*/) {
    callbacks_.done(status_);
    delete this;
  }

  std::unique_ptr<grpc::ClientContext> context_;
  // Declared after context_: destroyed before it, as gRPC requires.
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  StreamCallbacks callbacks_;
  HandlerTag<StreamCall> start_tag_{this, &StreamCall::OnStart};
  HandlerTag<StreamCall> write_tag_{this, &StreamCall::OnWrite};
  HandlerTag<StreamCall> read_tag_{this, &StreamCall::OnRead};
  HandlerTag<StreamCall> finish_tag_{this, &StreamCall::OnFinish};
  grpc::ByteBuffer out_;
  grpc::ByteBuffer in_;
  grpc::Status status_;
  bool writing_ = false;
  bool reading_ = false;
  bool half_closed_ = false;
};

}  // namespace

void StartUnaryByteCall(grpc::GenericStub& stub,
                        std::unique_ptr<grpc::ClientContext> context,
                        const std::string& method,
                        const grpc::ByteBuffer& request,
                        grpc::CompletionQueue* cq, UnaryDone done) {
  (new UnaryCall(std::move(context), std::move(done)))
      ->Start(stub, method, request, cq);
}

void StartStreamByteCall(grpc::GenericStub& stub,
                         std::unique_ptr<grpc::ClientContext> context,
                         const std::string& method, grpc::CompletionQueue* cq,
                         StreamCallbacks callbacks) {
  (new StreamCall(std::move(context), std::move(callbacks)))
      ->Start(stub, method, cq);
}

void HandleEvent(void* tag, bool ok) {
  static_cast<CompletionTag*>(tag)->Run(ok);
}

void DriveUntilShutdown(grpc::CompletionQueue& cq) {
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) HandleEvent(tag, ok);
}

void DriveUntilFinished(grpc::CompletionQueue& cq,
                        absl::FunctionRef<bool()> finished) {
  void* tag;
  bool ok;
  while (!finished() && cq.Next(&tag, &ok)) HandleEvent(tag, ok);
  // A queue must be shut down and drained before it is destroyed.
  cq.Shutdown();
  DriveUntilShutdown(cq);
}

grpc::Status UnaryByteCall(grpc::GenericStub& stub,
                           std::unique_ptr<grpc::ClientContext> context,
                           const std::string& method,
                           const grpc::ByteBuffer& request,
                           grpc::ByteBuffer* response) {
  std::optional<grpc::Status> status;
  grpc::CompletionQueue cq;
  StartUnaryByteCall(stub, std::move(context), method, request, &cq,
                     [&](const grpc::Status& s, grpc::ByteBuffer* reply) {
                       status = s;
                       response->Swap(reply);
                     });
  DriveUntilFinished(cq, [&] { return status.has_value(); });
  return *status;
}

}  // namespace tensor_transform::client
