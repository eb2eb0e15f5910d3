// The channels a client talks through: `connections` channels to one
// target, each with its own TCP connection.
//
//   ConnectionConfig config;
//   config.target = "127.0.0.1:50051";
//   config.connections = 4;  // four channels, four TCP connections
//   absl::StatusOr<Connection> c = Connect(config);
//   TensorClient& client = c->client(0);
#ifndef TENSOR_TRANSFORM_CLIENT_CONNECTION_H_
#define TENSOR_TRANSFORM_CLIENT_CONNECTION_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/tensor_client.h"

namespace tensor_transform::client {

struct ConnectionConfig {
  std::string target;  // any gRPC target
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
  friend absl::StatusOr<Connection> Connect(const ConnectionConfig&);
  std::string target_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<TensorClient>> clients_;
};

// InvalidArgument when config.target is empty or config.connections < 1.
// Channels connect lazily: an unreachable target fails the first call.
absl::StatusOr<Connection> Connect(const ConnectionConfig& config);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_CONNECTION_H_
