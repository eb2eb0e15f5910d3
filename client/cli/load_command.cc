#include "client/cli/load_command.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/cli/commands.h"
#include "client/cli/embedded_server.h"
#include "client/data/generator.h"
#include "client/data/npy_io.h"
#include "client/data/shape.h"
#include "client/load/html_report.h"
#include "client/load/report.h"
#include "client/load/runner.h"
#include "client/load/workload.h"
#include "client/stats/report_format.h"

namespace tensor_transform::client {
namespace {

constexpr int kMaxSweepLevels = 64;
constexpr int64_t kDefaultRequests = 1000;

// The settings after parsing and checking.
struct Plan {
  std::vector<MixEntry> mix;
  Mode mode = Mode::kUnary;
  ReportFormat format = ReportFormat::kTable;
  std::vector<int> concurrencies;
  LoadShape shape;
  std::optional<absl::Duration> max_p99;
};

absl::Status Invalid(absl::string_view flag, absl::string_view rule) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", rule));
}

// --rpc, --method, --mode, --format.
absl::Status ParseWhat(const LoadCommandConfig& c, Plan* plan) {
  std::optional<core::Method> method;
  if (!c.method.empty()) {
    method = core::ParseMethod(c.method);
    if (!method) return Invalid("method", "maximum|multiply|abs|masked");
  }
  absl::StatusOr<std::vector<MixEntry>> mix = ParseCallMix(c.rpc, method);
  if (!mix.ok()) return mix.status();
  plan->mix = *std::move(mix);
  const std::optional<Mode> mode = ParseMode(c.mode);
  if (!mode) return Invalid("mode", "unary|stream|shm");
  plan->mode = c.shared_memory ? Mode::kSharedMemory : *mode;
  const std::optional<ReportFormat> format = ParseReportFormat(c.format);
  if (!format) return Invalid("format", "table|json|csv");
  plan->format = *format;
  if (c.chunk_bytes < 1) return Invalid("chunk_bytes", "must be >= 1");
  return absl::OkStatus();
}

// --concurrency, --sweep, --requests, --duration, --warmup, --rps, ...
absl::Status ParseHow(const LoadCommandConfig& c, Plan* plan) {
  if (c.concurrency < 1) return Invalid("concurrency", "must be >= 1");
  if (c.threads < 0) return Invalid("threads", "must be >= 0");
  if (c.requests < 0) return Invalid("requests", "must be >= 0");
  if (c.duration < absl::ZeroDuration()) return Invalid("duration", "< 0");
  if (c.timeout < absl::ZeroDuration()) return Invalid("timeout", "< 0");
  if (!(c.rps >= 0)) return Invalid("rps", "must be >= 0");
  if (!(c.max_error_rate >= 0 && c.max_error_rate <= 1)) {
    return Invalid("max_error_rate", "must be in [0, 1]");
  }
  plan->concurrencies = {c.concurrency};
  if (!c.sweep.empty()) {
    if (c.rps > 0) return Invalid("sweep", "sweeps concurrency; drop --rps");
    absl::StatusOr<std::vector<int>> levels = ParseSweep(c.sweep);
    if (!levels.ok()) return levels.status();
    plan->concurrencies = *std::move(levels);
  }
  absl::StatusOr<Warmup> warmup = ParseWarmup(c.warmup);
  if (!warmup.ok()) return warmup.status();
  LoadShape& shape = plan->shape;
  shape.requests = c.requests > 0 ? c.requests : kDefaultRequests;
  shape.duration = c.duration;
  shape.warmup_calls = warmup->calls;
  shape.warmup_time = warmup->time;
  shape.rps = c.rps;
  shape.threads = c.threads;
  if (c.timeout > absl::ZeroDuration()) shape.call_options.timeout = c.timeout;
  if (c.max_p99 > absl::ZeroDuration()) plan->max_p99 = c.max_p99;
  return absl::OkStatus();
}

absl::StatusOr<NpyArray> LoadTensor(const LoadCommandConfig& c) {
  if (!c.in.empty()) return ReadNpy(c.in);
  absl::StatusOr<std::vector<int64_t>> shape = ParseShape(c.shape);
  if (!shape.ok()) return shape.status();
  absl::StatusOr<int64_t> count = ElementCount(*shape);
  if (!count.ok()) return count.status();
  const std::optional<core::DType> dtype = core::ParseDType(c.dtype);
  if (!dtype) return Invalid("dtype", absl::StrCat("unknown '", c.dtype, "'"));
  const std::optional<Distribution> distribution =
      ParseDistribution(c.distribution);
  if (!distribution) return Invalid("distribution", "uniform|normal|special");
  return NpyArray{*dtype, *shape,
                  GenerateTensor(*dtype, *count, *distribution, c.seed)};
}

std::string LoadText(const LoadCommandConfig& c, const Plan& plan) {
  const LoadShape& s = plan.shape;
  std::string text =
      s.duration > absl::ZeroDuration()
          ? absl::StrCat("for ", absl::FormatDuration(s.duration))
          : absl::StrCat(s.requests, " calls");
  absl::StrAppend(
      &text, ", warmup ",
      c.warmup.empty() ? "one call per slot of concurrency" : c.warmup);
  absl::StrAppend(&text,
                  s.rps > 0 ? absl::StrCat(", open loop at ", s.rps, " calls/s")
                            : ", closed loop");
  return text;
}

std::string ModeText(const LoadCommandConfig& c, const Plan& plan) {
  switch (plan.mode) {
    case Mode::kStream:
      return absl::StrCat("stream, chunks of ", c.chunk_bytes, " B");
    case Mode::kSharedMemory:
      return "shm: references to shared memory, each slot's result in a "
             "region (inplace: in place)";
    case Mode::kUnary:
      break;
  }
  return "unary";
}

std::vector<std::pair<std::string, std::string>> Settings(
    const LoadCommandConfig& c, const Plan& plan, const NpyArray& tensor,
    const std::string& target, bool verify) {
  std::vector<std::string> mix;
  for (const MixEntry& e : plan.mix) {
    mix.push_back(absl::StrCat(MixEntryLabel(e), "=", e.weight));
  }
  const std::string source =
      c.in.empty() ? absl::StrCat(c.distribution, ", seed ", c.seed) : c.in;
  return {
      {"target", target},
      {"rpc mix", absl::StrJoin(mix, ",")},
      {"mode", ModeText(c, plan)},
      {"tensor", absl::StrCat(core::DTypeName(tensor.dtype), " ",
                              FormatShape(tensor.shape), ", ",
                              tensor.data.size(), " B, ", source)},
      {"connections", absl::StrCat(c.connection.connections)},
      {"threads", c.threads > 0 ? absl::StrCat(c.threads)
                                : "one per core, at least one per connection"},
      {"concurrency", c.sweep.empty() ? absl::StrCat(c.concurrency)
                                      : absl::StrCat("sweep ", c.sweep)},
      {"load", LoadText(c, plan)},
      {"timeout", c.timeout > absl::ZeroDuration()
                      ? absl::FormatDuration(c.timeout)
                      : "none"},
      {"verify",
       verify ? "every response, against the local reference" : "off"},
      {"max_error_rate", absl::StrCat(c.max_error_rate)},
      {"max_p99", plan.max_p99 ? absl::FormatDuration(*plan.max_p99) : "none"},
      {"started", absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::Now(),
                                   absl::UTCTimeZone())},
  };
}

ProgressSink ProgressPrinter(bool enabled, std::ostream& err) {
  ProgressSink sink;
  if (!enabled) return sink;
  sink.report = [&err](const LoadProgress& p) {
    // "\x1b[K" clears what a longer previous line left.
    err << "\r" << FormatProgress(p) << "\x1b[K" << (p.done ? "\n" : "")
        << std::flush;
  };
  return sink;
}

// Prints the report and turns the error rates into the exit status.
int Finish(const LoadCommandConfig& c, const Plan& plan,
           const LoadReport& report, std::ostream& out, std::ostream& err) {
  out << FormatLoadReport(report, plan.format) << std::flush;
  if (!c.report_path.empty()) {
    const absl::Status written = WriteHtmlReport(c.report_path, report);
    if (!written.ok()) return FailWith(err, written);
    err << "HTML report: " << c.report_path << "\n";
  }
  for (const LevelResult& level : report.levels) {
    if (level.calls == 0) {
      err << "tensor_transform_client: concurrency " << level.concurrency
          << " measured no call\n";
      return 1;
    }
    const double rate =
        static_cast<double>(level.errors) / static_cast<double>(level.calls);
    if (rate > c.max_error_rate) {
      err << absl::StrFormat(
          "tensor_transform_client: concurrency %d: error rate %.4f (%d of "
          "%d calls) exceeds --max_error_rate=%g\n",
          level.concurrency, rate, level.errors, level.calls, c.max_error_rate);
      return 1;
    }
  }
  return 0;
}

}  // namespace

int RunLoadCommand(const LoadCommandConfig& config, std::ostream& out,
                   std::ostream& err) {
  Plan plan;
  absl::Status parsed = ParseWhat(config, &plan);
  if (parsed.ok()) parsed = ParseHow(config, &plan);
  if (!parsed.ok()) return FailWith(err, parsed);
  absl::StatusOr<NpyArray> tensor = LoadTensor(config);
  if (!tensor.ok()) return FailWith(err, tensor.status());
  const bool verify = config.verify.value_or(
      static_cast<int64_t>(tensor->data.size()) <= kAutoVerifyMaxBytes);
  absl::StatusOr<CommandConnection> connected =
      ConnectOrEmbed(config.connection, &err, plan.mode == Mode::kSharedMemory);
  if (!connected.ok()) return FailWith(err, connected.status());
  const Connection& connection = connected->connection;

  LoadReport report;
  report.settings =
      Settings(config, plan, *tensor, connection.target(), verify);
  LoadWorkload workload(plan.mix, plan.mode, config.chunk_bytes,
                        *std::move(tensor), verify);
  if (plan.mode == Mode::kSharedMemory) {
    const absl::Status placed = workload.PlaceInSharedMemory(
        connection.clients(), *std::max_element(plan.concurrencies.begin(),
                                                plan.concurrencies.end()));
    if (!placed.ok()) return FailWith(err, placed);
  }
  report.levels =
      RunSweep(plan.shape, plan.concurrencies, plan.max_p99, workload,
               connection.clients(), ProgressPrinter(config.progress, err));
  return Finish(config, plan, report, out, err);
}

absl::StatusOr<std::vector<int>> ParseSweep(absl::string_view text) {
  const auto bad = [&](absl::string_view rule) {
    return Invalid("sweep", absl::StrCat("'", text, "': ", rule));
  };
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int start = 0, end = 0, step = 1;
  const bool multiply = parts.size() == 3 && absl::StartsWith(parts[2], "x");
  if (parts.size() > 3 || !absl::SimpleAtoi(parts[0], &start) ||
      (parts.size() > 1 && !absl::SimpleAtoi(parts[1], &end)) ||
      (parts.size() == 3 &&
       !absl::SimpleAtoi(
           absl::StripPrefix(absl::StripPrefix(parts[2], "x"), "+"), &step))) {
    return bad("start:end[:step], step +N or xN");
  }
  if (parts.size() == 1) end = start;
  if (start < 1 || end < start || step < (multiply ? 2 : 1)) {
    return bad("needs 1 <= start <= end and a step that grows");
  }
  std::vector<int> levels;
  for (int64_t c = start; c <= end; c = multiply ? c * step : c + step) {
    if (levels.size() == kMaxSweepLevels) {
      return bad(absl::StrCat("more than ", kMaxSweepLevels, " levels"));
    }
    levels.push_back(static_cast<int>(c));
  }
  return levels;
}

absl::StatusOr<Warmup> ParseWarmup(absl::string_view text) {
  Warmup warmup;
  if (text.empty()) return warmup;
  int64_t calls;
  if (absl::SimpleAtoi(text, &calls) && calls >= 0) {
    warmup.calls = calls;
    return warmup;
  }
  if (absl::ParseDuration(text, &warmup.time) &&
      warmup.time >= absl::ZeroDuration()) {
    warmup.calls = 0;
    return warmup;
  }
  return Invalid("warmup", absl::StrCat("'", text,
                                        "': a number of calls or a duration "
                                        "such as 2s"));
}

}  // namespace tensor_transform::client
