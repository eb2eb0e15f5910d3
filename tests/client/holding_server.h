// A server that answers no call until `hold` calls have arrived, then all
// of them at once: a client whose calls all succeed had `hold` in flight
// together. It answers every method with as many (zero) bytes as the
// request's data: to a unary call in a TransformResponse, to a stream in one
// StreamResponse; so the client must not verify the data.
//
//   HoldingServer server(64);
//   TensorClient client(MakeChannel(server.target()));
#ifndef TENSOR_TRANSFORM_TESTS_CLIENT_HOLDING_SERVER_H_
#define TENSOR_TRANSFORM_TESTS_CLIENT_HOLDING_SERVER_H_

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tensor_transform::client::testing {

class HoldingServer {
 public:
  explicit HoldingServer(int hold);
  ~HoldingServer();

  std::string target() const;

 private:
  class Call;
  class Service;
  void Arrive(Call* call);

  const int hold_;
  std::mutex mu_;
  std::vector<Call*> held_;  // guarded by mu_
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace tensor_transform::client::testing

#endif  // TENSOR_TRANSFORM_TESTS_CLIENT_HOLDING_SERVER_H_
