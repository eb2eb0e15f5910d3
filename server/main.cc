// tensor_transform_server: serves tensor_transform.v1.TensorTransform until
// SIGINT or SIGTERM, then shuts down cleanly and exits 0.
//
//   tensor_transform_server --listen=127.0.0.1:0 --threads=8
//   -> stderr: tensor_transform_server listening on 127.0.0.1:41234
#include <signal.h>

#include <cstdint>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on; port 0 picks a free one (logged)");
ABSL_FLAG(int, threads, 0,
          "most calls served at once (more get RESOURCE_EXHAUSTED); 0 "
          "leaves gRPC's default, a thread per call");
ABSL_FLAG(int64_t, max_message_bytes, int64_t{512} << 20,
          "largest unary message accepted, in [1024, 2^31-1]; larger arrays "
          "go through the streaming RPCs");

namespace {

// The address as bound: --listen's host with the port actually chosen.
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
      "Usage: tensor_transform_server [--listen=host:port] [--threads=N] "
      "[--max_message_bytes=N]");
  absl::ParseCommandLine(argc, argv);
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
  ParseFlags(argc, argv);
  // Blocked before gRPC starts its threads, which inherit the mask, so the
  // signals reach only the sigwait below: no async-signal-safety concerns.
  const sigset_t signals = BlockShutdownSignals();

  tensor_transform::server::ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.threads = absl::GetFlag(FLAGS_threads);
  config.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  auto server = tensor_transform::server::StartServer(config);
  if (!server.ok()) {
    std::cerr << "tensor_transform_server: " << server.status() << std::endl;
    return 1;
  }
  std::cerr << "tensor_transform_server listening on "
            << BoundAddress(config.listen, (*server)->port()) << std::endl;

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cerr << "tensor_transform_server: signal " << signal_number
            << ", shutting down" << std::endl;
  (*server)->Shutdown();
  (*server)->Wait();
  return 0;
}
