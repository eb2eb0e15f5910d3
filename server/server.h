// Starts a tensor-transform gRPC server in this process.
//
//   ServerConfig config;
//   config.listen = "127.0.0.1:0";  // any free port
//   auto server = StartServer(config);  // StatusOr<unique_ptr<...>>
//   if (!server.ok()) return server.status();
//   std::string target = absl::StrCat("127.0.0.1:", (*server)->port());
//
// Used by tensor_transform_server's main, by the client's embedded default and
// by the tests.
#ifndef TENSOR_TRANSFORM_SERVER_SERVER_H_
#define TENSOR_TRANSFORM_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tensor_transform::server {

struct ServerConfig {
  // host:port; port 0 picks a free one (see RunningServer::port).
  std::string listen = "127.0.0.1:50051";
  // Most threads serving calls at once; 0 leaves gRPC's default.
  int threads = 0;
  // Largest message accepted or sent: the cap on a unary request. Larger
  // arrays go through the streaming RPCs.
  int64_t max_message_bytes = int64_t{512} << 20;
};

class RunningServer {
 public:
  virtual ~RunningServer() = default;
  // The bound port (the real one when ServerConfig::listen asked for 0).
  virtual int port() const = 0;
  // Stops accepting calls and waits for in-flight ones; idempotent.
  virtual void Shutdown() = 0;
  // Blocks until the server has shut down.
  virtual void Wait() = 0;
};

// InvalidArgument for a bad config; Unavailable when the address cannot be
// bound.
absl::StatusOr<std::unique_ptr<RunningServer>> StartServer(
    const ServerConfig& config);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_SERVER_H_
