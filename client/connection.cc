#include "client/connection.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client {

std::vector<TensorClient*> Connection::clients() const {
  std::vector<TensorClient*> out;
  for (const auto& client : clients_) out.push_back(client.get());
  return out;
}

absl::StatusOr<Connection> Connect(const ConnectionConfig& config,
                                   std::ostream* log) {
  if (config.connections < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--connections: ", config.connections, ", but must be >= 1"));
  }
  Connection connection;
  connection.target_ = config.target;
  if (connection.target_.empty()) {
    server::ServerConfig server_config;
    server_config.listen = "127.0.0.1:0";
    server_config.max_message_bytes = config.max_message_bytes;
    auto started = server::StartServer(server_config);
    if (!started.ok()) return started.status();
    connection.embedded_ = *std::move(started);
    connection.target_ =
        absl::StrCat("127.0.0.1:", connection.embedded_->port());
    if (log != nullptr) {
      *log << "embedded server on " << connection.target_ << "\n";
    }
  }
  for (int i = 0; i < config.connections; ++i) {
    connection.channels_.push_back(MakeChannel(
        connection.target_, config.max_message_bytes, config.credentials));
    connection.clients_.push_back(
        std::make_unique<TensorClient>(connection.channels_.back()));
  }
  return connection;
}

}  // namespace tensor_transform::client
