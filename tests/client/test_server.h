// A real TensorTransform server on a loopback port for the client tests,
// with hooks the production server does not have: delay a call, corrupt a
// response, record the peers, run gRPC's health service. The hooks wrap
// server::TensorTransformService from the outside, so no test code sits in
// the server's own path.
//
//   TestServer server({.before_unary = [](int64_t call, const std::string&) {
//     if (call == 20) absl::SleepFor(absl::Milliseconds(300));
//   }});
//   TensorClient client(MakeChannel(server.target()));
#ifndef TENSOR_TRANSFORM_TESTS_CLIENT_TEST_SERVER_H_
#define TENSOR_TRANSFORM_TESTS_CLIENT_TEST_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "proto/tensor_transform.grpc.pb.h"
#include "server/rpc/service.h"

namespace tensor_transform::client::testing {

namespace v1 = ::tensor_transform::v1;

struct TestServerOptions {
  // Runs before every unary transform call (Apply, ApplyInPlace, Gradient)
  // with its number (from 0, in arrival order) and the RPC's name.
  std::function<void(int64_t call, const std::string& rpc)> before_unary;
  // May change every successful unary transform response.
  std::function<void(v1::TransformResponse*)> after_unary;
  int64_t max_message_bytes = int64_t{64} << 20;
  // Registers gRPC's default health service (grpc.health.v1).
  bool health_service = false;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();

  std::string target() const;
  // The distinct peers ("ipv4:127.0.0.1:PORT") unary calls came from.
  std::set<std::string> peers() const;
  grpc::Server& server() { return *server_; }

  class Hooks;

 private:
  std::unique_ptr<Hooks> hooks_;
  std::unique_ptr<server::TensorTransformService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace tensor_transform::client::testing

#endif  // TENSOR_TRANSFORM_TESTS_CLIENT_TEST_SERVER_H_
