// The RPC floor for small calls: a minimal server on gRPC's callback API
// (CallbackGenericService, one bidi reactor per call, raw ByteBuffers, no
// parsing), built on the same gRPC as the real server. It answers every call
// with the bytes it received: a unary method (a name not ending in "Stream")
// with its request as the one response, a streaming one message for message
// until the client half-closes. The tensor of an ApplyRequest (field 1) is
// the tensor of a TransformResponse (field 1); its transform (field 2, a
// message) is skipped by parsers as an unknown field where TransformResponse
// has its method enum, so the load tool reads an echoed Apply as a response
// (unverified: its tensor is the input, not ReLU of it).
//
// scripts/bench.sh runs the project's `load` against it and against the real
// server in one run, and reports the ratio of their throughputs.
//
//   grpc_echo --listen=127.0.0.1:0
//   -> stderr: grpc_echo listening on 127.0.0.1:41234
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <iostream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "host:port to listen on; port 0 picks a free one (logged)");

namespace {

class EchoReactor : public grpc::ServerGenericBidiReactor {
 public:
  explicit EchoReactor(bool unary) : unary_(unary) { StartRead(&message_); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed (or the call ended)
      Finish(grpc::Status::OK);
    } else if (unary_) {
      StartWriteAndFinish(&message_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(&message_);
    }
  }

  void OnWriteDone(bool ok) override {
    if (ok) {
      StartRead(&message_);
    } else {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
    }
  }

  void OnDone() override { delete this; }

 private:
  const bool unary_;
  grpc::ByteBuffer message_;
};

class EchoService : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new EchoReactor(!absl::EndsWith(context->method(), "Stream"));
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  EchoService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "grpc_echo: cannot listen on " << listen << std::endl;
    return 1;
  }
  // Scripts parse this line for the port.
  std::cerr << "grpc_echo listening on "
            << listen.substr(0, listen.rfind(':') + 1) << port << std::endl;
  server->Wait();
  return 0;
}
