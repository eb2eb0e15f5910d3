// tensor_transform_client: benchmark, apply .npy files, or describe a server.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/bench.h"
#include "client/npy_io.h"
#include "client/report.h"
#include "client/tensor_client.h"
#include "client/workload.h"
#include "server/server.h"

ABSL_FLAG(std::string, target, "",
          "server address (host:port or any gRPC target); empty starts an "
          "embedded server on a free loopback port");
ABSL_FLAG(int64_t, max_message_bytes, int64_t{512} << 20,
          "message size limit of the channel (and of the embedded server)");
ABSL_FLAG(std::string, shape, "5000x5000",
          "bench: tensor shape, e.g. 5000x5000");
ABSL_FLAG(std::string, dtype, "float64",
          "bench: float32|float64|float16|bfloat16|int8|int16|int32|int64");
ABSL_FLAG(int, repeats, 5, "bench: timed calls per row");
ABSL_FLAG(int, warmup, 1, "bench: untimed calls per row before the timed ones");
ABSL_FLAG(std::string, rpcs, "apply,inplace,gradient", "bench: RPCs to run");
ABSL_FLAG(std::string, modes, "unary,stream", "bench: modes to run");
ABSL_FLAG(int64_t, chunk_bytes, int64_t{4} << 20, "bytes per streamed chunk");
ABSL_FLAG(std::string, format, "table", "bench: table|json|csv");
ABSL_FLAG(uint64_t, seed, 42, "bench: seed of the generated tensor");
ABSL_FLAG(std::string, in, "", "apply: input .npy file");
ABSL_FLAG(std::string, out, "", "apply: output .npy file");
ABSL_FLAG(std::string, upstream, "", "apply --rpc gradient: upstream .npy");
ABSL_FLAG(std::string, rpc, "apply", "apply: apply|inplace|gradient");
ABSL_FLAG(std::string, method, "",
          "apply: maximum|multiply|abs|masked; empty lets the server choose");

namespace tensor_transform::client {
namespace {

constexpr char kUsage[] = R"(tensor_transform_client COMMAND [flags]

Commands:
  bench     latency of every (rpc, method, mode) on one generated tensor,
            every response verified against the local reference
            (default: 5000x5000 float64, uniform in [-0.5, 0.5))
  apply     --in x.npy --out y.npy [--rpc apply|inplace|gradient]
            [--method M] [--upstream g.npy]; streams above the unary cap
  describe  print what the server supports; exit 1 if it does not answer

Without --target, an embedded server is started on a free loopback port.)";

int Fail(const absl::Status& status) {
  std::cerr << "tensor_transform_client: " << status << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

// Connects to --target or to a server started in this process.
struct Connection {
  std::unique_ptr<server::RunningServer> embedded;
  std::unique_ptr<TensorClient> client;
};

absl::StatusOr<Connection> Connect() {
  Connection connection;
  std::string target = absl::GetFlag(FLAGS_target);
  const int64_t limit = absl::GetFlag(FLAGS_max_message_bytes);
  if (target.empty()) {
    server::ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.max_message_bytes = limit;
    auto started = server::StartServer(config);
    if (!started.ok()) return started.status();
    connection.embedded = *std::move(started);
    target = absl::StrCat("127.0.0.1:", connection.embedded->port());
    std::cerr << "embedded server on " << target << "\n";
  }
  connection.client =
      std::make_unique<TensorClient>(MakeChannel(target, limit));
  return connection;
}

template <typename T, typename Parse>
absl::StatusOr<std::vector<T>> ParseList(absl::string_view flag,
                                         absl::string_view text, Parse parse) {
  std::vector<T> values;
  for (absl::string_view name : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const std::optional<T> value = parse(name);
    if (!value) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": unknown value '", name, "'"));
    }
    values.push_back(*value);
  }
  return values;
}

absl::StatusOr<BenchConfig> BenchConfigFromFlags() {
  BenchConfig config;
  auto shape = ParseShape(absl::GetFlag(FLAGS_shape));
  if (!shape.ok()) return shape.status();
  config.shape = *shape;
  const auto dtype = core::ParseDType(absl::GetFlag(FLAGS_dtype));
  if (!dtype) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--dtype: unknown dtype '", absl::GetFlag(FLAGS_dtype), "'"));
  }
  config.dtype = *dtype;
  config.repeats = absl::GetFlag(FLAGS_repeats);
  config.warmup = absl::GetFlag(FLAGS_warmup);
  if (config.repeats < 1 || config.warmup < 0) {
    return absl::InvalidArgumentError("--repeats must be >= 1, --warmup >= 0");
  }
  config.chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes);
  config.seed = absl::GetFlag(FLAGS_seed);
  auto rpcs = ParseList<Rpc>("rpcs", absl::GetFlag(FLAGS_rpcs), ParseRpc);
  if (!rpcs.ok()) return rpcs.status();
  config.rpcs = *rpcs;
  auto modes = ParseList<Mode>("modes", absl::GetFlag(FLAGS_modes), ParseMode);
  if (!modes.ok()) return modes.status();
  config.modes = *modes;
  config.progress = [](const std::string& line) { std::cerr << line << "\n"; };
  return config;
}

int Bench() {
  auto config = BenchConfigFromFlags();
  if (!config.ok()) return Fail(config.status());
  const auto format = ParseReportFormat(absl::GetFlag(FLAGS_format));
  if (!format)
    return Fail(absl::InvalidArgumentError("--format: table|json|csv"));
  auto connection = Connect();
  if (!connection.ok()) return Fail(connection.status());
  auto rows = RunBench(*connection->client, *config);
  if (!rows.ok()) return Fail(rows.status());
  std::cout << FormatRows(*rows, *format);
  for (const BenchRow& row : *rows) {
    if (!row.verified) {
      return Fail(
          absl::DataLossError("a response differed from the reference"));
    }
  }
  return 0;
}

absl::StatusOr<CallSpec> ApplySpecFromFlags(const NpyArray& x) {
  const std::optional<Rpc> rpc = ParseRpc(absl::GetFlag(FLAGS_rpc));
  if (!rpc) return absl::InvalidArgumentError("--rpc: apply|inplace|gradient");
  CallSpec spec{*rpc, std::nullopt, x.dtype, x.shape};
  const std::string method = absl::GetFlag(FLAGS_method);
  if (!method.empty()) {
    spec.method = core::ParseMethod(method);
    if (!spec.method) {
      return absl::InvalidArgumentError(
          absl::StrCat("--method: unknown method '", method, "'"));
    }
  }
  spec.chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes);
  return spec;
}

int Apply() {
  if (absl::GetFlag(FLAGS_in).empty() || absl::GetFlag(FLAGS_out).empty()) {
    return Fail(absl::InvalidArgumentError("apply needs --in and --out"));
  }
  auto x = ReadNpy(absl::GetFlag(FLAGS_in));
  if (!x.ok()) return Fail(x.status());
  std::string upstream;
  if (!absl::GetFlag(FLAGS_upstream).empty()) {
    auto g = ReadNpy(absl::GetFlag(FLAGS_upstream));
    if (!g.ok()) return Fail(g.status());
    upstream = std::move(g->data);
  }
  auto spec = ApplySpecFromFlags(*x);
  if (!spec.ok()) return Fail(spec.status());
  auto connection = Connect();
  if (!connection.ok()) return Fail(connection.status());
  auto described = connection->client->Describe();
  if (!described.ok()) return Fail(described.status());
  // Requests that would not fit under the unary cap are streamed.
  const size_t request_bytes = x->data.size() + upstream.size() + 4096;
  spec->mode =
      request_bytes <= static_cast<size_t>(described->max_message_bytes())
          ? Mode::kUnary
          : Mode::kStream;
  Payload payload(*spec, std::move(x->data), std::move(upstream));
  CallResult result;
  const absl::Status status = connection->client->Call(payload, &result);
  if (!status.ok()) return Fail(status);
  x->data = std::move(result.data);
  const absl::Status written = WriteNpy(absl::GetFlag(FLAGS_out), *x);
  if (!written.ok()) return Fail(written);
  std::cerr << absl::StrCat(
      ModeName(spec->mode), " ", RpcName(spec->rpc), ": server compute ",
      static_cast<double>(result.server_compute_ns) / 1e6, " ms\n");
  return 0;
}

int Describe() {
  auto connection = Connect();
  if (!connection.ok()) return Fail(connection.status());
  auto described = connection->client->Describe();
  if (!described.ok()) return Fail(described.status());
  std::cout << described->DebugString();
  return 0;
}

}  // namespace
}  // namespace tensor_transform::client

int main(int argc, char** argv) {
  namespace tc = tensor_transform::client;
  absl::SetProgramUsageMessage(tc::kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string command = args.size() > 1 ? args[1] : "";
  if (args.size() > 2) {
    std::cerr << "unexpected argument '" << args[2] << "'\n"
              << tc::kUsage << "\n";
    return 2;
  }
  if (command == "bench") return tc::Bench();
  if (command == "apply") return tc::Apply();
  if (command == "describe") return tc::Describe();
  std::cerr << (command.empty() ? "" : "unknown command '" + command + "'\n")
            << tc::kUsage << "\n";
  return 2;
}
