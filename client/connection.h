// The channels a client command talks through: to a target, or to a server
// started in this process when no target is given.
//
//   ConnectionConfig config;
//   config.target = "127.0.0.1:50051";
//   config.connections = 4;  // four channels, four TCP connections
//   absl::StatusOr<Connection> c = Connect(config, &std::cerr);
//   TensorClient& client = c->client(0);
#ifndef TENSOR_TRANSFORM_CLIENT_CONNECTION_H_
#define TENSOR_TRANSFORM_CLIENT_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/tensor_client.h"
#include "server/server.h"

namespace tensor_transform::client {

struct ConnectionConfig {
  // Any gRPC target; empty starts an embedded server on a free loopback
  // port.
  std::string target;
  int64_t max_message_bytes = int64_t{512} << 20;
  int connections = 1;  // channels, each with its own connection
  // Channel credentials; null means plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
};

class Connection {
 public:
  const std::string& target() const { return target_; }
  int size() const { return static_cast<int>(clients_.size()); }
  TensorClient& client(int i) { return *clients_[i]; }
  std::vector<TensorClient*> clients() const;
  const std::shared_ptr<grpc::Channel>& channel(int i) const {
    return channels_[i];
  }

 private:
  friend absl::StatusOr<Connection> Connect(const ConnectionConfig&,
                                            std::ostream*);
  std::unique_ptr<server::RunningServer> embedded_;
  std::string target_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<TensorClient>> clients_;
};

// Starts the embedded server when config.target is empty (and logs its
// address to `log`, which may be null). InvalidArgument when
// config.connections < 1; the embedded server's errors otherwise.
absl::StatusOr<Connection> Connect(const ConnectionConfig& config,
                                   std::ostream* log);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_CONNECTION_H_
