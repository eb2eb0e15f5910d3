#include "client/cli/commands.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/bench/report.h"
#include "client/bench/runner.h"
#include "client/cli/embedded_server.h"
#include "client/data/npy_io.h"
#include "client/data/shape.h"
#include "client/health.h"
#include "client/stats/report_format.h"

namespace tensor_transform::client {
namespace {

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

absl::StatusOr<BenchConfig> ToBenchConfig(const BenchCommandConfig& c,
                                          std::ostream& err) {
  BenchConfig config;
  auto shape = ParseShape(c.shape);
  if (!shape.ok()) return shape.status();
  config.shape = *shape;
  const auto dtype = core::ParseDType(c.dtype);
  if (!dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dtype: unknown dtype '", c.dtype, "'"));
  }
  config.dtype = *dtype;
  config.repeats = c.repeats;
  if (!absl::SimpleAtoi(c.warmup, &config.warmup) || config.repeats < 1 ||
      config.warmup < 0) {
    return absl::InvalidArgumentError(
        "bench: --repeats must be >= 1, --warmup a count >= 0");
  }
  config.chunk_bytes = c.chunk_bytes;
  config.seed = c.seed;
  auto rpcs = ParseList<Rpc>("rpcs", c.rpcs, ParseRpc);
  if (!rpcs.ok()) return rpcs.status();
  config.rpcs = *rpcs;
  auto modes = ParseList<Mode>("modes", c.modes, ParseMode);
  if (!modes.ok()) return modes.status();
  config.modes = *modes;
  if (c.shared_memory && std::find(config.modes.begin(), config.modes.end(),
                                   Mode::kSharedMemory) == config.modes.end()) {
    config.modes.push_back(Mode::kSharedMemory);
  }
  config.progress = [&err](const std::string& line) { err << line << "\n"; };
  return config;
}

absl::StatusOr<CallSpec> ApplySpec(const ApplyCommandConfig& c,
                                   const NpyArray& x) {
  const std::optional<Rpc> rpc = ParseRpc(c.rpc);
  if (!rpc) return absl::InvalidArgumentError("--rpc: apply|inplace|gradient");
  CallSpec spec{*rpc, std::nullopt, x.dtype, x.shape};
  if (!c.method.empty()) {
    spec.method = core::ParseMethod(c.method);
    if (!spec.method) {
      return absl::InvalidArgumentError(
          absl::StrCat("--method: unknown method '", c.method, "'"));
    }
  }
  spec.chunk_bytes = c.chunk_bytes;
  return spec;
}

}  // namespace

int FailWith(std::ostream& err, const absl::Status& status) {
  err << "tensor_transform_client: " << status << "\n";
  return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
}

int RunBenchCommand(const BenchCommandConfig& c, std::ostream& out,
                    std::ostream& err) {
  auto config = ToBenchConfig(c, err);
  if (!config.ok()) return FailWith(err, config.status());
  const auto format = ParseReportFormat(c.format);
  if (!format) {
    return FailWith(err,
                    absl::InvalidArgumentError("--format: table|json|csv"));
  }
  const bool shared_memory =
      std::find(config->modes.begin(), config->modes.end(),
                Mode::kSharedMemory) != config->modes.end();
  auto connected = ConnectOrEmbed(c.connection, &err, shared_memory);
  if (!connected.ok()) return FailWith(err, connected.status());
  auto rows = RunBench(connected->connection.client(0), *config);
  if (!rows.ok()) return FailWith(err, rows.status());
  out << FormatRows(*rows, *format);
  for (const BenchRow& row : *rows) {
    if (!row.verified) {
      return FailWith(
          err, absl::DataLossError("a response differed from the reference"));
    }
  }
  return 0;
}

int RunApplyCommand(const ApplyCommandConfig& c, std::ostream& err) {
  if (c.in.empty() || c.out_path.empty()) {
    return FailWith(err,
                    absl::InvalidArgumentError("apply needs --in and --out"));
  }
  auto x = ReadNpy(c.in);
  if (!x.ok()) return FailWith(err, x.status());
  std::string upstream;
  if (!c.upstream.empty()) {
    auto g = ReadNpy(c.upstream);
    if (!g.ok()) return FailWith(err, g.status());
    upstream = std::move(g->data);
  }
  auto spec = ApplySpec(c, *x);
  if (!spec.ok()) return FailWith(err, spec.status());
  auto connected = ConnectOrEmbed(c.connection, &err);
  if (!connected.ok()) return FailWith(err, connected.status());
  TensorClient& client = connected->connection.client(0);
  auto described = client.Describe();
  if (!described.ok()) return FailWith(err, described.status());
  // Requests that would not fit under the unary cap are streamed.
  const size_t request_bytes = x->data.size() + upstream.size() + 4096;
  spec->mode =
      request_bytes <= static_cast<size_t>(described->max_message_bytes())
          ? Mode::kUnary
          : Mode::kStream;
  Payload payload(*spec, std::move(x->data), std::move(upstream));
  CallResult result;
  const absl::Status status = client.Call(payload, &result);
  if (!status.ok()) return FailWith(err, status);
  x->data = std::move(result.data);
  const absl::Status written = WriteNpy(c.out_path, *x);
  if (!written.ok()) return FailWith(err, written);
  err << absl::StrCat(
      ModeName(spec->mode), " ", RpcName(spec->rpc), ": server compute ",
      static_cast<double>(result.server_compute_ns) / 1e6, " ms\n");
  return 0;
}

int RunDescribeCommand(const ConnectionConfig& connection,
                       absl::Duration timeout, std::ostream& out,
                       std::ostream& err) {
  auto connected = ConnectOrEmbed(connection, &err);
  if (!connected.ok()) return FailWith(err, connected.status());
  auto described = connected->connection.client(0).Describe(timeout);
  if (!described.ok()) return FailWith(err, described.status());
  out << described->DebugString();
  return 0;
}

int RunHealthCommand(const ConnectionConfig& connection, absl::Duration timeout,
                     std::ostream& out, std::ostream& err) {
  if (connection.target.empty()) {
    return FailWith(err, absl::InvalidArgumentError(
                             "health needs --target (host:port or any gRPC "
                             "target)"));
  }
  auto connected = Connect(connection);
  if (!connected.ok()) return FailWith(err, connected.status());
  const HealthResult health = CheckHealth(connected->channel(0), timeout);
  (health.healthy ? out : err)
      << connection.target << ": " << health.detail << "\n";
  return health.healthy ? 0 : 1;
}

}  // namespace tensor_transform::client
