#include "client/connection.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client {

std::vector<TensorClient*> Connection::clients() const {
  std::vector<TensorClient*> out;
  for (const auto& client : clients_) out.push_back(client.get());
  return out;
}

absl::StatusOr<Connection> Connect(const ConnectionConfig& config) {
  if (config.target.empty()) {
    return absl::InvalidArgumentError("--target: empty, but calls need one");
  }
  if (config.connections < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--connections: ", config.connections, ", but must be >= 1"));
  }
  Connection connection;
  connection.target_ = config.target;
  for (int i = 0; i < config.connections; ++i) {
    connection.channels_.push_back(MakeChannel(
        connection.target_, config.max_message_bytes, config.credentials));
    connection.clients_.push_back(
        std::make_unique<TensorClient>(connection.channels_.back()));
  }
  return connection;
}

}  // namespace tensor_transform::client
