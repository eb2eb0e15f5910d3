// Calls on grpc::GenericStub with messages the caller serializes and parses
// itself, so that it can time that work apart from the call. Calls run on a
// completion queue the caller drives: Start*ByteCall return at once, and the
// thread that hands the queue's events to HandleEvent runs the call's
// callbacks. A blocking call drives a queue of its own on the calling thread
// (no hand-off, no thread per call); many calls can share a few queues, each
// driven by one thread (client/load/runner.h).
//
//   grpc::CompletionQueue cq;  // driven by one thread: DriveUntilShutdown
//   StartUnaryByteCall(stub, std::make_unique<grpc::ClientContext>(),
//                      "/tensor_transform.v1.TensorTransform/Describe",
//                      grpc::ByteBuffer(), &cq,
//                      [](const grpc::Status& s, grpc::ByteBuffer* reply) {});
#ifndef TENSOR_TRANSFORM_CLIENT_GENERIC_CALL_H_
#define TENSOR_TRANSFORM_CLIENT_GENERIC_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"

namespace tensor_transform::client {

// Runs when a unary call ends, with its status and, when OK, its response
// (the call's own buffer: swap it out to keep it).
using UnaryDone =
    absl::AnyInvocable<void(const grpc::Status&, grpc::ByteBuffer* response)>;

// Starts one unary call of `method` ("/package.Service/Method") on `cq`; the
// call owns `context` until it ends. `done` runs on the thread driving `cq`.
void StartUnaryByteCall(grpc::GenericStub& stub,
                        std::unique_ptr<grpc::ClientContext> context,
                        const std::string& method,
                        const grpc::ByteBuffer& request,
                        grpc::CompletionQueue* cq, UnaryDone done);

// The callbacks of one bidirectional streaming call, all run on the thread
// driving its queue.
struct StreamCallbacks {
  // Fills the next message and returns true, or returns false when there is
  // none left (the client then half-closes).
  absl::AnyInvocable<bool(grpc::ByteBuffer*)> next_request;
  // Receives every response in order; returns false to cancel the call.
  absl::AnyInvocable<bool(grpc::ByteBuffer*)> on_response;
  // Runs last, once, with the call's status.
  absl::AnyInvocable<void(const grpc::Status&)> done;
};

// Starts one bidirectional streaming call of `method` on `cq`; the call owns
// `context` until it ends. Writing and reading overlap, one of each in
// flight, since a server may answer before the client has sent everything
// and flow control would otherwise stall both sides. A queue's events must
// be handled by one thread at a time: a call's reads and writes share state.
void StartStreamByteCall(grpc::GenericStub& stub,
                         std::unique_ptr<grpc::ClientContext> context,
                         const std::string& method, grpc::CompletionQueue* cq,
                         StreamCallbacks callbacks);

// Runs the event of `tag` from a queue these calls were started on.
void HandleEvent(void* tag, bool ok);

// Hands `cq`'s events to HandleEvent until `cq` is shut down and drained.
void DriveUntilShutdown(grpc::CompletionQueue& cq);

// Hands `cq`'s events to HandleEvent until `finished()` holds, then shuts
// `cq` down and drains it: a blocking call on a queue of its own.
void DriveUntilFinished(grpc::CompletionQueue& cq,
                        absl::FunctionRef<bool()> finished);

// One blocking unary call on a queue of its own; returns its status and
// fills `response` when OK.
grpc::Status UnaryByteCall(grpc::GenericStub& stub,
                           std::unique_ptr<grpc::ClientContext> context,
                           const std::string& method,
                           const grpc::ByteBuffer& request,
                           grpc::ByteBuffer* response);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_GENERIC_CALL_H_
