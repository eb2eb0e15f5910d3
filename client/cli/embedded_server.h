// The connection a command talks through: to its --target, or, when none is
// given, to a server it starts in this process on a free loopback port (the
// embedded default, through the server's public start-a-server API).
//
//   ConnectionConfig config;  // no target
//   absl::StatusOr<CommandConnection> c = ConnectOrEmbed(config, &std::cerr);
//   TensorClient& client = c->connection.client(0);
#ifndef TENSOR_TRANSFORM_CLIENT_CLI_EMBEDDED_SERVER_H_
#define TENSOR_TRANSFORM_CLIENT_CLI_EMBEDDED_SERVER_H_

#include <memory>
#include <ostream>

#include "absl/status/statusor.h"
#include "client/connection.h"
#include "server/server.h"

namespace tensor_transform::client {

struct CommandConnection {
  std::unique_ptr<server::RunningServer> embedded;  // null with a target
  // Declared after `embedded`: its channels close before the server stops.
  Connection connection;
};

// Connect (connection.h) to config.target; when it is empty, first starts
// the embedded server with config.max_message_bytes (and shared memory
// allowed when the command uses it) and logs its address to `log` (which
// may be null). Connect's errors, or the server's.
absl::StatusOr<CommandConnection> ConnectOrEmbed(ConnectionConfig config,
                                                 std::ostream* log,
                                                 bool shared_memory = false);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_CLI_EMBEDDED_SERVER_H_
