// `tensor_transform_client load`: builds the workload, runs one level or a
// sweep against a target, prints the report and decides the exit status.
// The flags are defined in main.cc and arrive here as raw values.
//
//   LoadCommandConfig config;
//   config.connection.target = "127.0.0.1:50051";
//   config.concurrency = 8;
//   config.duration = absl::Seconds(30);
//   int exit_status = RunLoadCommand(config, std::cout, std::cerr);
#ifndef TENSOR_TRANSFORM_CLIENT_CLI_LOAD_COMMAND_H_
#define TENSOR_TRANSFORM_CLIENT_CLI_LOAD_COMMAND_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/connection.h"

namespace tensor_transform::client {

// Without an explicit --verify, responses are verified when the tensor is
// at most this large: the reference is computed once, and each check is one
// memcmp of the response (its mean cost is reported as time_split verify).
inline constexpr int64_t kAutoVerifyMaxBytes = int64_t{64} << 20;

struct LoadCommandConfig {
  ConnectionConfig connection;  // no target: embedded (embedded_server.h)
  // What is sent.
  std::string rpc = "apply";   // a mix: rpc[:method][=weight],...
  std::string method;          // for entries without one; "": server default
  std::string mode = "unary";  // unary|stream|shm
  bool shared_memory = false;  // mode shm whatever `mode` says
  int64_t chunk_bytes = kDefaultChunkBytes;
  std::string shape = "1000x1000";
  std::string dtype = "float64";
  std::string distribution = "uniform";
  uint64_t seed = 42;
  std::string in;              // a .npy file; replaces shape/dtype/distribution
  std::optional<bool> verify;  // nullopt: on up to kAutoVerifyMaxBytes
  // How it is sent.
  int concurrency = 1;
  int threads = 0;       // driving the calls; 0: LoadShape::threads' default
  int64_t requests = 0;  // 0 and no duration: 1000
  absl::Duration duration = absl::ZeroDuration();
  std::string warmup;  // "N" calls or a duration ("2s"); "": one per slot
  double rps = 0;
  std::string sweep;  // "start:end[:step]", step "+N" (default +1) or "xN"
  absl::Duration max_p99 = absl::ZeroDuration();  // 0: no limit
  absl::Duration timeout = absl::ZeroDuration();  // per call; 0: none
  double max_error_rate = 0;
  // Output.
  std::string format = "table";
  std::string report_path;  // HTML report; "": none
  bool progress = false;    // live progress line on `err`
};

// Exit status: 0 when every level completed with an error rate at or under
// max_error_rate; 1 when one did not, measured no call, or the run could not
// start; 2 for invalid settings.
int RunLoadCommand(const LoadCommandConfig& config, std::ostream& out,
                   std::ostream& err);

// "1:64:x2" -> 1 2 4 ... 64; "2:8:+2" -> 2 4 6 8; "1:4" -> 1 2 3 4; "8" -> 8.
// InvalidArgument for anything else, values < 1, or more than 64 levels.
absl::StatusOr<std::vector<int>> ParseSweep(absl::string_view text);

// "100" -> 100 calls; "2s" -> two seconds (and no call count); "" ->
// neither (the runner's default: one call per slot of concurrency).
struct Warmup {
  std::optional<int64_t> calls;
  absl::Duration time = absl::ZeroDuration();
};
absl::StatusOr<Warmup> ParseWarmup(absl::string_view text);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_CLI_LOAD_COMMAND_H_
