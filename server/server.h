// Starts a tensor-transform gRPC server in this process, with everything a
// production deployment needs around the service: grpc.health.v1 health,
// reflection, TLS / mutual TLS / bearer tokens, keepalive and connection
// age, admission control against a memory budget, Prometheus metrics, and a
// graceful drain.
//
//   ServerConfig config;
//   config.listen = "127.0.0.1:0";  // any free port
//   auto server = StartServer(config);  // StatusOr<unique_ptr<...>>
//   if (!server.ok()) return server.status();
//   std::string target = absl::StrCat("127.0.0.1:", (*server)->port());
//   ...
//   (*server)->Shutdown();  // drain: NOT_SERVING, finish in-flight calls
//
// Used by tensor_transform_server's main, by the client's embedded default and
// by the tests.
#ifndef TENSOR_TRANSFORM_SERVER_SERVER_H_
#define TENSOR_TRANSFORM_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/security/security.h"
#include "server/shm/options.h"

namespace tensor_transform::server {

struct ServerConfig {
  // host:port; port 0 picks a free one (see RunningServer::port). Loopback
  // by default: listening on every interface is a deliberate choice. Also
  // unix:PATH (a Unix socket, for callers on the same host), and several
  // addresses separated by commas, all serving the same service:
  // "127.0.0.1:0,unix:/run/tensor-transform/tt.sock".
  std::string listen = "127.0.0.1:50051";
  // Threads of gRPC's synchronous services (reflection, channelz): calls of
  // them beyond this get RESOURCE_EXHAUSTED. 0: kDefaultSyncThreads. The
  // tensor_transform and health RPCs run on gRPC's callback API and hold no
  // thread while they wait, whatever their number.
  int threads = 0;
  // Largest message accepted or sent: the cap on a unary request. Larger
  // arrays go through the streaming RPCs.
  int64_t max_message_bytes = int64_t{512} << 20;
  // Payload bytes the server holds at once, at least 4 x max_message_bytes.
  // Three quarters are gRPC's resource quota, which counts every buffer
  // gRPC reads requests into, those the handlers compute in included (over
  // it gRPC shrinks its receive windows, then cancels calls or closes
  // connections: RESOURCE_EXHAUSTED or UNAVAILABLE). The same three
  // quarters cap what the handlers admit: received data plus output buffers
  // and idle pooled ones (a message that would exceed it gets
  // RESOURCE_EXHAUSTED at once). The last quarter is headroom.
  int64_t memory_budget_bytes = int64_t{2} << 30;
  // How long a call may wait for a whole request message (a unary request,
  // a stream's header or next chunk) before it ends with DEADLINE_EXCEEDED
  // and its memory is released.
  absl::Duration receive_timeout = absl::Seconds(30);
  // HTTP/2 streams (calls) one connection may have open at once.
  int max_concurrent_streams = 100;
  // Shutdown(): how long in-flight calls may take to finish before they are
  // cancelled.
  absl::Duration grace_period = absl::Seconds(20);
  // Pings on idle connections after keepalive_time, dropped when
  // unanswered within keepalive_timeout; clients may ping every
  // keepalive_min_client_interval, more often gets their connection closed.
  absl::Duration keepalive_time = absl::Hours(2);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  absl::Duration keepalive_min_client_interval = absl::Seconds(10);
  // Connections are closed (GOAWAY) after this age, so that clients
  // reconnect and load balancers can rebalance; their calls get
  // max_connection_age_grace to finish. Infinite: never.
  absl::Duration max_connection_age = absl::InfiniteDuration();
  absl::Duration max_connection_age_grace = absl::InfiniteDuration();
  // TLS, mutual TLS and bearer token (server/security/security.h); plaintext by
  // default.
  SecurityConfig security;
  // host:port of the plain-HTTP endpoint serving /metrics (Prometheus) and
  // /healthz (server/telemetry/metrics_endpoint.h: an IPv4 address or a
  // name); empty: none.
  std::string metrics_listen;
  // grpc.reflection.v1alpha.ServerReflection, so that tools list and call
  // the service without its .proto.
  bool reflection = true;
  // Shared-memory tensors for clients on this host (docs/shared-memory.md):
  // off unless shared_memory.enabled.
  SharedMemoryOptions shared_memory;
  // grpc.channelz.v1.Channelz. gRPC registers it process-wide: once one
  // server asked for it, every server started later in the process has it.
  bool channelz = false;
};

class RunningServer {
 public:
  virtual ~RunningServer() = default;
  // The bound port of the first address of ServerConfig::listen (the real
  // one when it asked for 0).
  virtual int port() const = 0;
  // Every address of ServerConfig::listen as bound, in its order: host:port
  // with the port chosen for a 0; unix:PATH as given.
  virtual std::vector<std::string> addresses() const = 0;
  // The metrics endpoint's bound port; 0 when there is none.
  virtual int metrics_port() const = 0;
  // Drains, idempotently: health turns NOT_SERVING, new calls are refused,
  // in-flight calls get ServerConfig::grace_period to finish and are then
  // cancelled. Returns when the drain has started; Wait() for its end.
  virtual void Shutdown() = 0;
  // Blocks until the server has shut down.
  virtual void Wait() = 0;
};

// InvalidArgument for a bad config; NotFound / PermissionDenied for
// unreadable TLS or token files or shared-memory directory; Unavailable when an
// address cannot be bound or gRPC rejects the certificates.
absl::StatusOr<std::unique_ptr<RunningServer>> StartServer(
    const ServerConfig& config);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_SERVER_H_
