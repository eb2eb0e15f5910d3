// Calls on grpc::GenericStub with messages the caller serializes and parses
// itself, so that it can time that work apart from the call. Each call runs
// on a completion queue of its own, driven by the calling thread: no thread
// per call, no hand-off to another thread.
//
//   grpc::GenericStub stub(channel);
//   grpc::ByteBuffer reply;
//   grpc::ClientContext context;
//   grpc::Status s = UnaryByteCall(stub, &context,
//                                  "/tensor_transform.v1.TensorTransform/Describe",
//                                  grpc::ByteBuffer(), &reply);
#ifndef TENSOR_TRANSFORM_CLIENT_GENERIC_CALL_H_
#define TENSOR_TRANSFORM_CLIENT_GENERIC_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/functional/function_ref.h"

namespace tensor_transform::client {

// One unary call of `method` ("/package.Service/Method"). Blocks until it
// ends; returns its status, and fills `response` when OK.
grpc::Status UnaryByteCall(grpc::GenericStub& stub,
                           grpc::ClientContext* context,
                           const std::string& method,
                           const grpc::ByteBuffer& request,
                           grpc::ByteBuffer* response);

// One bidirectional streaming call of `method`. `next_request` fills the next
// message and returns true, or returns false when there is none left (the
// client then half-closes). `on_response` receives every response in order
// and returns false to cancel the call. Writing and reading overlap, one of
// each in flight, since a server may answer before the client has sent
// everything and flow control would otherwise stall both sides. Blocks until
// the call ends and returns its status.
grpc::Status StreamByteCall(
    grpc::GenericStub& stub, grpc::ClientContext* context,
    const std::string& method,
    absl::FunctionRef<bool(grpc::ByteBuffer*)> next_request,
    absl::FunctionRef<bool(grpc::ByteBuffer*)> on_response);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_GENERIC_CALL_H_
