// tensor_transform_client: load-test, benchmark, apply .npy files, describe
// or health-check a tensor-transform server. The flags live here; the
// commands are library functions taking config structs (commands.h,
// load_command.h).
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "client/cli/commands.h"
#include "client/cli/load_command.h"
#include "client/credentials.h"
#include "core/allocator.h"

ABSL_FLAG(std::string, target, "",
          "server address: host:port or any gRPC target, calls balanced "
          "round-robin over its addresses (ipv4:h1:p,h2:p; dns:///name:p); "
          "empty starts an embedded server on a free loopback port (health "
          "needs one)");
ABSL_FLAG(int64_t, max_message_bytes, int64_t{512} << 20,
          "message size limit of the channel (and of the embedded server)");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA that signed the server's certificate: connect with TLS");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM client certificate (with --tls_key) for servers requiring "
          "mutual TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, auth_token_file, "",
          "file holding the bearer token sent with every call (needs "
          "--tls_ca)");
ABSL_FLAG(absl::Duration, timeout, absl::ZeroDuration(),
          "deadline of each call, e.g. 500ms; 0: none (health, describe: 5s)");
ABSL_FLAG(std::optional<std::string>, shape, std::nullopt,
          "bench, load: tensor shape, e.g. 5000x5000, or scalar (default: "
          "bench 5000x5000, load 1000x1000)");
ABSL_FLAG(std::string, dtype, "float64",
          "bench, load: float32|float64|float16|bfloat16|int8|int16|int32|"
          "int64");
ABSL_FLAG(std::string, distribution, "uniform",
          "load: uniform|normal|special (NaN, +-inf, -0.0, subnormals and "
          "extremes mixed in)");
ABSL_FLAG(uint64_t, seed, 42, "bench, load: seed of the generated tensor");
ABSL_FLAG(std::string, in, "",
          "apply: input .npy file; load: send this tensor instead of a "
          "generated one");
ABSL_FLAG(std::string, out, "", "apply: output .npy file");
ABSL_FLAG(std::string, upstream, "", "apply --rpc gradient: upstream .npy");
ABSL_FLAG(std::string, rpc, "apply",
          "apply: apply|inplace|gradient; load: one or a weighted mix "
          "rpc[:method][=weight],... e.g. apply:maximum=3,gradient:multiply=1");
ABSL_FLAG(std::string, method, "",
          "apply, load: maximum|multiply|abs|masked for calls whose --rpc "
          "names none; empty lets the server choose");
ABSL_FLAG(std::string, mode, "unary", "load: unary|stream|shm");
ABSL_FLAG(bool, shared_memory, false,
          "bench: add rows of mode shm; load: --mode=shm. The tensors lie in "
          "shared memory registered with the server (same host: a unix: "
          "target or loopback; the server needs --allow_shared_memory) and "
          "calls send references, computing in place or into a second "
          "region");
ABSL_FLAG(int64_t, chunk_bytes, tensor_transform::client::kDefaultChunkBytes,
          "bytes per streamed chunk");
ABSL_FLAG(int, repeats, 5, "bench: timed calls per row");
ABSL_FLAG(std::optional<std::string>, warmup, std::nullopt,
          "bench: untimed calls per row (default 1); load: calls (100) or a "
          "duration (2s) left out of the statistics (default: one call per "
          "slot of concurrency)");
ABSL_FLAG(std::string, rpcs, "apply,inplace,gradient", "bench: RPCs to run");
ABSL_FLAG(std::string, modes, "unary,stream", "bench: modes to run");
ABSL_FLAG(int, concurrency, 1, "load: calls in flight");
ABSL_FLAG(int, threads, 0,
          "load: threads driving the calls (each its own completion queue); "
          "0: one per core, at least one per connection");
ABSL_FLAG(int, connections, 1,
          "load: channels (TCP connections) the calls are spread over");
ABSL_FLAG(int64_t, requests, 0,
          "load: measured calls per level (default 1000 without --duration)");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "load: measure for this long per level instead, e.g. 30s");
ABSL_FLAG(double, rps, 0,
          "load: open loop: start calls at this rate, latency measured from "
          "each call's scheduled start; 0: closed loop");
ABSL_FLAG(std::string, sweep, "",
          "load: concurrency levels start:end[:step], step +N or xN, e.g. "
          "1:64:x2");
ABSL_FLAG(absl::Duration, max_p99, absl::ZeroDuration(),
          "load --sweep: stop after the first level whose p99 exceeds this");
ABSL_FLAG(std::optional<bool>, verify, std::nullopt,
          "load: --verify=true|false: check every response against the local "
          "reference (default: on for tensors up to 64 MiB); bench always "
          "verifies");
ABSL_FLAG(double, max_error_rate, 0,
          "load: exit 1 when a level's errors / calls exceed this");
ABSL_FLAG(std::string, format, "table", "bench, load: table|json|csv");
ABSL_FLAG(std::string, report, "",
          "load: also write a self-contained HTML report to this file");

namespace tensor_transform::client {
namespace {

constexpr char kUsage[] = R"(tensor_transform_client COMMAND [flags]

Commands:
  load      load test: --concurrency, --connections, --requests or
            --duration, --rps (open loop), --sweep; a mix of --rpc and
            --method; reports calls/s, GB/s, latency percentiles, status
            codes and where the time goes; --format, --report=report.html;
            exit 1 above --max_error_rate
  bench     latency of every (rpc, method, mode) on one generated tensor,
            every response verified against the local reference
            (default: 5000x5000 float64, uniform in [-0.5, 0.5)); the
            modes of one (rpc, method) take turns, call by call;
            --shared_memory adds rows of mode shm
  apply     --in x.npy --out y.npy [--rpc apply|inplace|gradient]
            [--method M] [--upstream g.npy]; streams above the unary cap
  describe  print what the server supports; exit 1 if it does not answer
  health    --target=host:port: exit 0 when the server is serving
            (grpc.health.v1, else Describe), 1 when not

Without --target, an embedded server is started on a free loopback port.
All flags: tensor_transform_client --help)";

constexpr absl::Duration kQuickCheckTimeout = absl::Seconds(5);

ConnectionConfig ConnectionFromFlags() {
  ConnectionConfig config;
  config.target = absl::GetFlag(FLAGS_target);
  config.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  config.connections = absl::GetFlag(FLAGS_connections);
  ClientSecurityConfig security;
  security.tls_ca_file = absl::GetFlag(FLAGS_tls_ca);
  security.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  security.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  security.auth_token_file = absl::GetFlag(FLAGS_auth_token_file);
  auto credentials = MakeChannelCredentials(security);
  if (!credentials.ok()) {
    // Every command connects: a bad flag ends the run like a usage error.
    std::cerr << "tensor_transform_client: " << credentials.status() << "\n";
    std::exit(2);
  }
  config.credentials = *std::move(credentials);
  return config;
}

absl::Duration QuickCheckTimeout() {
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  return timeout > absl::ZeroDuration() ? timeout : kQuickCheckTimeout;
}

// What is sent and how it is reported.
void LoadWhatFromFlags(LoadCommandConfig& c) {
  c.rpc = absl::GetFlag(FLAGS_rpc);
  c.method = absl::GetFlag(FLAGS_method);
  c.mode = absl::GetFlag(FLAGS_mode);
  c.shared_memory = absl::GetFlag(FLAGS_shared_memory);
  c.chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes);
  c.shape = absl::GetFlag(FLAGS_shape).value_or(c.shape);
  c.dtype = absl::GetFlag(FLAGS_dtype);
  c.distribution = absl::GetFlag(FLAGS_distribution);
  c.seed = absl::GetFlag(FLAGS_seed);
  c.in = absl::GetFlag(FLAGS_in);
  c.verify = absl::GetFlag(FLAGS_verify);
  c.format = absl::GetFlag(FLAGS_format);
  c.report_path = absl::GetFlag(FLAGS_report);
  c.progress = isatty(STDERR_FILENO) == 1;
}

int Load() {
  LoadCommandConfig c;
  c.connection = ConnectionFromFlags();
  LoadWhatFromFlags(c);
  c.concurrency = absl::GetFlag(FLAGS_concurrency);
  c.threads = absl::GetFlag(FLAGS_threads);
  c.requests = absl::GetFlag(FLAGS_requests);
  c.duration = absl::GetFlag(FLAGS_duration);
  c.warmup = absl::GetFlag(FLAGS_warmup).value_or(c.warmup);
  c.rps = absl::GetFlag(FLAGS_rps);
  c.sweep = absl::GetFlag(FLAGS_sweep);
  c.max_p99 = absl::GetFlag(FLAGS_max_p99);
  c.timeout = absl::GetFlag(FLAGS_timeout);
  c.max_error_rate = absl::GetFlag(FLAGS_max_error_rate);
  return RunLoadCommand(c, std::cout, std::cerr);
}

int Bench() {
  BenchCommandConfig c;
  c.connection = ConnectionFromFlags();
  c.shape = absl::GetFlag(FLAGS_shape).value_or(c.shape);
  c.dtype = absl::GetFlag(FLAGS_dtype);
  c.repeats = absl::GetFlag(FLAGS_repeats);
  c.warmup = absl::GetFlag(FLAGS_warmup).value_or(c.warmup);
  c.rpcs = absl::GetFlag(FLAGS_rpcs);
  c.modes = absl::GetFlag(FLAGS_modes);
  c.shared_memory = absl::GetFlag(FLAGS_shared_memory);
  c.chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes);
  c.format = absl::GetFlag(FLAGS_format);
  c.seed = absl::GetFlag(FLAGS_seed);
  return RunBenchCommand(c, std::cout, std::cerr);
}

int Apply() {
  ApplyCommandConfig c;
  c.connection = ConnectionFromFlags();
  c.in = absl::GetFlag(FLAGS_in);
  c.out_path = absl::GetFlag(FLAGS_out);
  c.upstream = absl::GetFlag(FLAGS_upstream);
  c.rpc = absl::GetFlag(FLAGS_rpc);
  c.method = absl::GetFlag(FLAGS_method);
  c.chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes);
  return RunApplyCommand(c, std::cerr);
}

std::vector<char*> ParseFlags(int argc, char** argv) {
  // --help lists the flags of the file named after the binary by default;
  // ours live in client/cli/main.cc.
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "client/cli/main.cc");
  };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(kUsage);
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace
}  // namespace tensor_transform::client

int main(int argc, char** argv) {
  namespace tc = tensor_transform::client;
  tensor_transform::core::ConfigureAllocatorForLargePayloads();
  // One malloc arena: load threads and gRPC's threads pass MB-sized buffers
  // between them, and with an arena per thread every call page-faulted in
  // fresh memory: 8x the page faults, and on the 2-core machine `load
  // --shape=512x512 --concurrency=8` ran at 63-72 calls/s instead of
  // 143-175 (same server, runs alternated).
  mallopt(M_ARENA_MAX, 1);
  std::vector<char*> args = tc::ParseFlags(argc, argv);
  const std::string command = args.size() > 1 ? args[1] : "";
  if (args.size() > 2) {
    std::cerr << "unexpected argument '" << args[2] << "'\n"
              << tc::kUsage << "\n";
    return 2;
  }
  if (command == "load") return tc::Load();
  if (command == "bench") return tc::Bench();
  if (command == "apply") return tc::Apply();
  if (command == "describe") {
    return tc::RunDescribeCommand(tc::ConnectionFromFlags(),
                                  tc::QuickCheckTimeout(), std::cout,
                                  std::cerr);
  }
  if (command == "health") {
    return tc::RunHealthCommand(tc::ConnectionFromFlags(),
                                tc::QuickCheckTimeout(), std::cout, std::cerr);
  }
  std::cerr << (command.empty() ? "" : "unknown command '" + command + "'\n")
            << tc::kUsage << "\n";
  return 2;
}
