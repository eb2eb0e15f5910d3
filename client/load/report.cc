#include "client/load/report.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace tensor_transform::client {
namespace {

// Keys keep their insertion order: settings as given, codes by count.
using json = nlohmann::ordered_json;

// Rows of the terminal histogram.
constexpr int kHistogramRows = 16;
constexpr int kBarWidth = 40;

double ErrorRate(const LevelResult& level) {
  return level.calls == 0 ? 0
                          : static_cast<double>(level.errors) /
                                static_cast<double>(level.calls);
}

json LatencyJson(const LatencySummary& l) {
  return {{"min", l.min}, {"mean", l.mean}, {"p50", l.p50},    {"p90", l.p90},
          {"p95", l.p95}, {"p99", l.p99},   {"p99_9", l.p999}, {"max", l.max}};
}

json SplitJson(const TimeSplit& s) {
  return {{"schedule_wait", s.schedule_wait_ms},
          {"serialize", s.serialize_ms},
          {"server_compute", s.server_compute_ms},
          {"deserialize", s.deserialize_ms},
          {"transport", s.transport_ms},
          {"verify", s.verify_ms}};
}

json DetailsJson(const LevelResult& level) {
  json out;
  out["status_codes"] = json::object();
  for (const CodeCount& c : level.codes) out["status_codes"][c.code] = c.count;
  out["error_messages"] = json::array();
  for (const MessageCount& m : level.messages) {
    out["error_messages"].push_back(
        {{"code", m.code}, {"message", m.message}, {"count", m.count}});
  }
  out["mix"] = json::array();
  for (const EntryCount& e : level.entries) {
    out["mix"].push_back(
        {{"label", e.label}, {"calls", e.calls}, {"errors", e.errors}});
  }
  out["histogram_ms"] = json::array();
  for (const auto& b : level.histogram.NonEmptyBuckets()) {
    out["histogram_ms"].push_back({static_cast<double>(b.lower) / 1e6,
                                   static_cast<double>(b.upper) / 1e6,
                                   b.count});
  }
  out["timeline"] = json::array();
  for (const TimelinePoint& p : level.timeline) {
    out["timeline"].push_back({{"start_s", p.start_s},
                               {"calls", p.calls},
                               {"calls_per_s", p.calls_per_s},
                               {"errors_per_s", p.errors_per_s},
                               {"gbps_in", p.gbps_in}});
  }
  return out;
}

json LevelJson(const LevelResult& level) {
  json out = {{"concurrency", level.concurrency},
              {"target_rps", level.target_rps},
              {"calls", level.calls},
              {"errors", level.errors},
              {"wrong_results", level.wrong_results},
              {"error_rate", ErrorRate(level)},
              {"elapsed_s", level.elapsed_s},
              {"calls_per_s", level.calls_per_s},
              {"gbps_out", level.gbps_out},
              {"gbps_in", level.gbps_in},
              {"latency_ms", LatencyJson(level.latency_ms)},
              {"time_split_ms", SplitJson(level.split)},
              {"over_max_p99", level.over_max_p99},
              {"client_threads", level.client_threads}};
  out.update(DetailsJson(level));
  return out;
}

std::string Json(const LoadReport& report) {
  json out;
  out["settings"] = json::object();
  for (const auto& [name, value] : report.settings)
    out["settings"][name] = value;
  out["histogram_max_relative_error"] = LatencyHistogram::kMaxRelativeError;
  out["levels"] = json::array();
  for (const LevelResult& level : report.levels) {
    out["levels"].push_back(LevelJson(level));
  }
  return out.dump(2) + "\n";
}

std::string CodesText(const LevelResult& level) {
  std::vector<std::string> parts;
  for (const CodeCount& c : level.codes) {
    parts.push_back(absl::StrCat(c.code, "=", c.count));
  }
  return absl::StrJoin(parts, ";");
}

std::string Csv(const LoadReport& report) {
  std::string out =
      "concurrency,target_rps,calls,errors,wrong_results,error_rate,"
      "elapsed_s,calls_per_s,gbps_out,gbps_in,latency_min_ms,latency_mean_ms,"
      "latency_p50_ms,latency_p90_ms,latency_p95_ms,latency_p99_ms,"
      "latency_p99_9_ms,latency_max_ms,schedule_wait_ms,serialize_ms,"
      "server_compute_ms,deserialize_ms,transport_ms,verify_ms,status_codes,"
      "over_max_p99,client_threads\n";
  for (const LevelResult& l : report.levels) {
    const LatencySummary& m = l.latency_ms;
    const TimeSplit& s = l.split;
    const std::vector<std::string> cells = {absl::StrCat(l.concurrency),
                                            absl::StrCat(l.target_rps),
                                            absl::StrCat(l.calls),
                                            absl::StrCat(l.errors),
                                            absl::StrCat(l.wrong_results),
                                            absl::StrCat(ErrorRate(l)),
                                            absl::StrCat(l.elapsed_s),
                                            absl::StrCat(l.calls_per_s),
                                            absl::StrCat(l.gbps_out),
                                            absl::StrCat(l.gbps_in),
                                            absl::StrCat(m.min),
                                            absl::StrCat(m.mean),
                                            absl::StrCat(m.p50),
                                            absl::StrCat(m.p90),
                                            absl::StrCat(m.p95),
                                            absl::StrCat(m.p99),
                                            absl::StrCat(m.p999),
                                            absl::StrCat(m.max),
                                            absl::StrCat(s.schedule_wait_ms),
                                            absl::StrCat(s.serialize_ms),
                                            absl::StrCat(s.server_compute_ms),
                                            absl::StrCat(s.deserialize_ms),
                                            absl::StrCat(s.transport_ms),
                                            absl::StrCat(s.verify_ms),
                                            CodesText(l),
                                            l.over_max_p99 ? "true" : "false",
                                            absl::StrCat(l.client_threads)};
    absl::StrAppend(&out, absl::StrJoin(cells, ","), "\n");
  }
  return out;
}

std::string SettingsTable(const LoadReport& report) {
  std::string out;
  for (const auto& [name, value] : report.settings) {
    absl::StrAppendFormat(&out, "%-16s %s\n", name, value);
  }
  return out;
}

std::string LevelsTable(const LoadReport& report) {
  std::string out = absl::StrFormat(
      "\n%5s %9s %7s %9s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "conc",
      "calls", "errors", "calls/s", "GB/s_out", "GB/s_in", "min_ms", "p50_ms",
      "p90_ms", "p95_ms", "p99_ms", "p99.9_ms", "max_ms");
  for (const LevelResult& l : report.levels) {
    const LatencySummary& m = l.latency_ms;
    absl::StrAppendFormat(
        &out,
        "%5d %9d %7d %9.1f %8.3f %8.3f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f "
        "%8.2f%s\n",
        l.concurrency, l.calls, l.errors, l.calls_per_s, l.gbps_out, l.gbps_in,
        m.min, m.p50, m.p90, m.p95, m.p99, m.p999, m.max,
        l.over_max_p99 ? "  > max_p99: sweep stopped" : "");
  }
  return out;
}

std::string SplitLine(const TimeSplit& s) {
  return absl::StrFormat(
      "time per OK call (mean ms): schedule wait %.3f, serialize %.3f, "
      "server compute %.3f, deserialize %.3f, transport and queueing %.3f; "
      "verify %.3f after the call\n",
      s.schedule_wait_ms, s.serialize_ms, s.server_compute_ms, s.deserialize_ms,
      s.transport_ms, s.verify_ms);
}

std::string LevelDetails(const LevelResult& level) {
  std::string out = absl::StrFormat(
      "\nconcurrency %d: %d calls, %d errors (%.2f%%), %.2f s, %d client "
      "threads at most\n",
      level.concurrency, level.calls, level.errors, 100 * ErrorRate(level),
      level.elapsed_s, level.client_threads);
  absl::StrAppend(&out, SplitLine(level.split));
  absl::StrAppend(&out, "status codes: ", CodesText(level), "\n");
  for (const MessageCount& m : level.messages) {
    absl::StrAppendFormat(&out, "  %d x %s: %s\n", m.count, m.code, m.message);
  }
  if (level.entries.size() > 1) {
    for (const EntryCount& e : level.entries) {
      absl::StrAppendFormat(&out, "  mix %s: %d calls, %d errors\n", e.label,
                            e.calls, e.errors);
    }
  }
  return out;
}

// Log-spaced bins from the histogram's min to its max.
std::string HistogramText(const LatencyHistogram& h) {
  if (h.count() == 0) return "";
  const double lo = std::max<double>(1, static_cast<double>(h.min()));
  const double hi = static_cast<double>(h.max()) + 1;
  const double step = std::pow(hi / lo, 1.0 / kHistogramRows);
  std::vector<int64_t> rows(kHistogramRows, 0);
  for (const auto& b : h.NonEmptyBuckets()) {
    const double at = std::max<double>(lo, static_cast<double>(b.lower));
    const int row = static_cast<int>(std::log(at / lo) / std::log(step));
    rows[std::clamp(row, 0, kHistogramRows - 1)] += b.count;
  }
  const int64_t most = *std::max_element(rows.begin(), rows.end());
  std::string out = "latency histogram (ms, lower bound of each row):\n";
  for (int i = 0; i < kHistogramRows; ++i) {
    const int width = static_cast<int>(rows[i] * kBarWidth / most);
    absl::StrAppendFormat(&out, "  %10.3f %-*s %d\n",
                          lo * std::pow(step, i) / 1e6, kBarWidth,
                          std::string(width, '#'), rows[i]);
  }
  return out;
}

std::string Table(const LoadReport& report) {
  std::string out = SettingsTable(report) + LevelsTable(report);
  for (const LevelResult& level : report.levels) {
    absl::StrAppend(&out, LevelDetails(level));
  }
  if (!report.levels.empty()) {
    absl::StrAppend(&out, HistogramText(report.levels.back().histogram));
  }
  return out;
}

}  // namespace

std::string FormatLoadReport(const LoadReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return Table(report);
    case ReportFormat::kJson:
      return Json(report);
    case ReportFormat::kCsv:
      return Csv(report);
  }
  return "";
}

std::string FormatProgress(const LoadProgress& p) {
  return absl::StrFormat(
      "c=%d  calls %d  errors %d  %.1f calls/s  p99 %.2f ms  %.1f s",
      p.concurrency, p.calls, p.errors, p.calls_per_s, p.p99_ms, p.elapsed_s);
}

}  // namespace tensor_transform::client
