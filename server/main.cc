// tensor_transform_server: serves tensor_transform.v1.TensorTransform until
// SIGINT or SIGTERM, then drains (health NOT_SERVING, new calls refused,
// in-flight calls finish within --grace_period) and exits 0.
//
//   tensor_transform_server --listen=127.0.0.1:0 --receive_timeout=30s
//   -> stderr: tensor_transform_server listening on 127.0.0.1:41234
//   tensor_transform_server --listen=127.0.0.1:0,unix:/tmp/tt.sock
//   -> ... listening on 127.0.0.1:41234,unix:/tmp/tt.sock
#include <signal.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "core/allocator.h"
#include "server/server.h"

namespace {
// The defaults of every flag: one place, the library's.
const tensor_transform::server::ServerConfig& Defaults() {
  static const auto* const defaults =
      new tensor_transform::server::ServerConfig;
  return *defaults;
}
}  // namespace

ABSL_FLAG(std::string, listen, Defaults().listen,
          "host:port to listen on; port 0 picks a free one (logged). "
          "Loopback by default: use 0.0.0.0:PORT or [::]:PORT to serve "
          "other hosts. unix:PATH listens on a Unix socket; several "
          "addresses, comma-separated, serve alike: "
          "127.0.0.1:0,unix:/tmp/tt.sock");
ABSL_FLAG(int, threads, Defaults().threads,
          "threads of gRPC's synchronous services (reflection, channelz); "
          "more of their calls at once get RESOURCE_EXHAUSTED. 0: 4. The "
          "tensor_transform and health RPCs hold no thread while they wait");
ABSL_FLAG(int64_t, max_message_bytes, Defaults().max_message_bytes,
          "largest unary message accepted, in [1024, 2^31-1]; larger arrays "
          "go through the streaming RPCs");
ABSL_FLAG(int64_t, memory_budget_bytes, Defaults().memory_budget_bytes,
          "payload bytes held at once, >= 4 x max_message_bytes: 3/4 bounds "
          "gRPC's buffers of received requests (its resource quota), 3/4 "
          "bounds what calls hold while computed and sent, idle pooled "
          "buffers included (more gets RESOURCE_EXHAUSTED at once)");
ABSL_FLAG(absl::Duration, receive_timeout, Defaults().receive_timeout,
          "end a call (DEADLINE_EXCEEDED) whose next request message (a "
          "unary request, a stream's header or chunk) has not arrived whole "
          "within this; its memory is released");
ABSL_FLAG(int, max_concurrent_streams, Defaults().max_concurrent_streams,
          "calls one connection may have open at once");
ABSL_FLAG(absl::Duration, grace_period, Defaults().grace_period,
          "on SIGTERM/SIGINT, how long in-flight calls may take to finish "
          "before they are cancelled");
ABSL_FLAG(absl::Duration, keepalive_time, Defaults().keepalive_time,
          "ping a connection idle this long");
ABSL_FLAG(absl::Duration, keepalive_timeout, Defaults().keepalive_timeout,
          "close a connection whose ping is unanswered this long");
ABSL_FLAG(absl::Duration, keepalive_min_client_interval,
          Defaults().keepalive_min_client_interval,
          "clients pinging more often than this get their connection closed");
ABSL_FLAG(absl::Duration, max_connection_age, Defaults().max_connection_age,
          "close connections (GOAWAY) after this age so that load balancers "
          "rebalance long-lived HTTP/2 connections; inf: never");
ABSL_FLAG(absl::Duration, max_connection_age_grace,
          Defaults().max_connection_age_grace,
          "how long calls may continue on a connection past its age");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain of the server; with --tls_key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA certificates: require client certificates they signed "
          "(mutual TLS)");
ABSL_FLAG(std::string, auth_token_file, "",
          "file holding a token every call must carry as 'authorization: "
          "Bearer <token>' (UNAUTHENTICATED otherwise; health checks are "
          "exempt); needs TLS");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port (an IPv4 address or a name) of a plain-HTTP endpoint "
          "with /metrics (Prometheus text) and /healthz; empty: none");
ABSL_FLAG(bool, reflection, Defaults().reflection,
          "serve gRPC server reflection");
ABSL_FLAG(bool, channelz, Defaults().channelz, "serve gRPC channelz");
ABSL_FLAG(bool, allow_shared_memory, Defaults().shared_memory.enabled,
          "serve shared-memory tensors (docs/shared-memory.md) to clients on "
          "this host (a Unix socket or loopback): the SystemSharedMemory* "
          "RPCs, and requests naming a registered region instead of carrying "
          "bytes. Off: those get FAILED_PRECONDITION");
ABSL_FLAG(std::string, shared_memory_dir, Defaults().shared_memory.dir,
          "directory of the POSIX shared-memory objects clients register "
          "(shm_open's); in a Pod, an emptyDir (medium: Memory) mounted in "
          "the app's and the server's containers");
ABSL_FLAG(std::string, shared_memory_prefix, Defaults().shared_memory.prefix,
          "every key must start with it (after an optional '/'), then 1-200 "
          "of [A-Za-z0-9_.-] with no '..': the server opens no other object "
          "of --shared_memory_dir");
ABSL_FLAG(std::vector<std::string>, shared_memory_uids, {},
          "comma-separated uids whose objects may be registered; empty: the "
          "server's own effective uid");
ABSL_FLAG(int, shared_memory_max_regions, Defaults().shared_memory.max_regions,
          "regions one lease (one client) may hold; more get "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, shared_memory_max_bytes, Defaults().shared_memory.max_bytes,
          "bytes of regions one lease may hold (mapped, not copied); more "
          "get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, shared_memory_max_leases, Defaults().shared_memory.max_leases,
          "shared-memory leases (clients) open at once; more get "
          "RESOURCE_EXHAUSTED");

namespace {

namespace ts = tensor_transform::server;

// The metrics endpoint's address as bound: `listen`'s host with the port
// actually chosen. (The gRPC addresses come from RunningServer::addresses,
// which knows Unix sockets.)
std::string BoundAddress(const std::string& listen, int port) {
  const std::string::size_type colon = listen.rfind(':');
  const std::string host =
      colon == std::string::npos ? listen : listen.substr(0, colon);
  return host + ":" + std::to_string(port);
}

void ParseFlags(int argc, char** argv) {
  // --help lists the flags of the file named after the binary by default;
  // ours live in server/main.cc.
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "Serves ReLU and its gradient over gRPC "
      "(tensor_transform.v1.TensorTransform).\n"
      "Usage: tensor_transform_server [--listen=host:port[,unix:PATH]] "
      "[--tls_cert=F --tls_key=F [--tls_client_ca=F]] [--metrics_listen=A] "
      "...");
  absl::ParseCommandLine(argc, argv);
}

// --shared_memory_uids as uids; exits on a value that is not one.
std::vector<uid_t> SharedMemoryUids() {
  std::vector<uid_t> uids;
  for (const std::string& text : absl::GetFlag(FLAGS_shared_memory_uids)) {
    uid_t uid;
    if (!absl::SimpleAtoi(text, &uid)) {
      std::cerr << "tensor_transform_server: --shared_memory_uids: '" << text
                << "' is not a uid" << std::endl;
      std::exit(2);
    }
    uids.push_back(uid);
  }
  return uids;
}

ts::SharedMemoryOptions SharedMemoryFromFlags() {
  ts::SharedMemoryOptions options;
  options.enabled = absl::GetFlag(FLAGS_allow_shared_memory);
  options.dir = absl::GetFlag(FLAGS_shared_memory_dir);
  options.prefix = absl::GetFlag(FLAGS_shared_memory_prefix);
  options.uids = SharedMemoryUids();
  options.max_regions = absl::GetFlag(FLAGS_shared_memory_max_regions);
  options.max_bytes = absl::GetFlag(FLAGS_shared_memory_max_bytes);
  options.max_leases = absl::GetFlag(FLAGS_shared_memory_max_leases);
  return options;
}

ts::ServerConfig ConfigFromFlags() {
  ts::ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.threads = absl::GetFlag(FLAGS_threads);
  config.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  config.memory_budget_bytes = absl::GetFlag(FLAGS_memory_budget_bytes);
  config.receive_timeout = absl::GetFlag(FLAGS_receive_timeout);
  config.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  config.grace_period = absl::GetFlag(FLAGS_grace_period);
  config.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  config.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  config.keepalive_min_client_interval =
      absl::GetFlag(FLAGS_keepalive_min_client_interval);
  config.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  config.max_connection_age_grace =
      absl::GetFlag(FLAGS_max_connection_age_grace);
  config.security.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  config.security.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  config.security.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  config.security.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.reflection = absl::GetFlag(FLAGS_reflection);
  config.channelz = absl::GetFlag(FLAGS_channelz);
  config.shared_memory = SharedMemoryFromFlags();
  return config;
}

sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace

int main(int argc, char** argv) {
  tensor_transform::core::ConfigureAllocatorForLargePayloads();
  ParseFlags(argc, argv);
  // Blocked before gRPC starts its threads, which inherit the mask, so the
  // signals reach only the sigwait below: no async-signal-safety concerns.
  const sigset_t signals = BlockShutdownSignals();

  const ts::ServerConfig config = ConfigFromFlags();
  auto server = ts::StartServer(config);
  if (!server.ok()) {
    std::cerr << "tensor_transform_server: " << server.status() << std::endl;
    return 1;
  }
  // Scripts parse this first line for the port: the addresses as bound, in
  // --listen's order and syntax.
  std::cerr << "tensor_transform_server listening on "
            << absl::StrJoin((*server)->addresses(), ",") << std::endl;
  if ((*server)->metrics_port() != 0) {
    std::cerr << "tensor_transform_server metrics on "
              << BoundAddress(config.metrics_listen, (*server)->metrics_port())
              << std::endl;
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cerr << "tensor_transform_server: signal " << signal_number
            << ", draining for up to "
            << absl::FormatDuration(config.grace_period) << std::endl;
  (*server)->Shutdown();
  (*server)->Wait();
  std::cerr << "tensor_transform_server: drained, exiting" << std::endl;
  return 0;
}
