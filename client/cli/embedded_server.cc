#include "client/cli/embedded_server.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client {

absl::StatusOr<CommandConnection> ConnectOrEmbed(ConnectionConfig config,
                                                 std::ostream* log,
                                                 bool shared_memory) {
  CommandConnection out;
  if (config.target.empty()) {
    server::ServerConfig server_config;
    server_config.listen = "127.0.0.1:0";
    server_config.max_message_bytes = config.max_message_bytes;
    server_config.shared_memory.enabled = shared_memory;
    absl::StatusOr<std::unique_ptr<server::RunningServer>> started =
        server::StartServer(server_config);
    if (!started.ok()) return started.status();
    out.embedded = *std::move(started);
    config.target = absl::StrCat("127.0.0.1:", out.embedded->port());
    if (log != nullptr) *log << "embedded server on " << config.target << "\n";
  }
  absl::StatusOr<Connection> connection = Connect(config);
  if (!connection.ok()) return connection.status();
  out.connection = *std::move(connection);
  return out;
}

}  // namespace tensor_transform::client
