#include "client/bench/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "client/data/shape.h"
#include "nlohmann/json.hpp"

namespace tensor_transform::client {
namespace {

nlohmann::json RowJson(const BenchRow& row) {
  return {
      {"rpc", RpcName(row.rpc)},
      {"method", core::MethodName(row.method)},
      {"mode", ModeName(row.mode)},
      {"dtype", core::DTypeName(row.dtype)},
      {"shape", row.shape},
      {"repeats", row.repeats},
      {"latency_ms",
       {{"p50", row.latency_ms.p50},
        {"p90", row.latency_ms.p90},
        {"p99", row.latency_ms.p99},
        {"min", row.latency_ms.min},
        {"max", row.latency_ms.max}}},
      {"server_compute_ms", {{"p50", row.server_compute_p50_ms}}},
      {"throughput_gbps", row.throughput_gbps},
      {"verified", row.verified},
  };
}

std::string Table(const std::vector<BenchRow>& rows) {
  constexpr absl::string_view kHeader =
      "%-8s %-8s %-6s %9s %9s %9s %9s %9s %10s %7s %s\n";
  std::string out = absl::StrFormat(kHeader, "rpc", "method", "mode", "p50_ms",
                                    "p90_ms", "p99_ms", "min_ms", "max_ms",
                                    "server_ms", "GB/s", "verified");
  for (const BenchRow& r : rows) {
    absl::StrAppendFormat(
        &out, "%-8s %-8s %-6s %9.2f %9.2f %9.2f %9.2f %9.2f %10.2f %7.2f %s\n",
        RpcName(r.rpc), core::MethodName(r.method), ModeName(r.mode),
        r.latency_ms.p50, r.latency_ms.p90, r.latency_ms.p99, r.latency_ms.min,
        r.latency_ms.max, r.server_compute_p50_ms, r.throughput_gbps,
        r.verified ? "yes" : "NO");
  }
  return out;
}

std::string Csv(const std::vector<BenchRow>& rows) {
  std::string out =
      "rpc,method,mode,dtype,shape,repeats,latency_p50_ms,latency_p90_ms,"
      "latency_p99_ms,latency_min_ms,latency_max_ms,server_compute_p50_ms,"
      "throughput_gbps,verified\n";
  for (const BenchRow& r : rows) {
    absl::StrAppend(
        &out,
        absl::StrJoin(
            {std::string(RpcName(r.rpc)),
             std::string(core::MethodName(r.method)),
             std::string(ModeName(r.mode)),
             std::string(core::DTypeName(r.dtype)), FormatShape(r.shape),
             absl::StrCat(r.repeats), absl::StrCat(r.latency_ms.p50),
             absl::StrCat(r.latency_ms.p90), absl::StrCat(r.latency_ms.p99),
             absl::StrCat(r.latency_ms.min), absl::StrCat(r.latency_ms.max),
             absl::StrCat(r.server_compute_p50_ms),
             absl::StrCat(r.throughput_gbps),
             std::string(r.verified ? "true" : "false")},
            ","),
        "\n");
  }
  return out;
}

}  // namespace

std::string FormatRows(const std::vector<BenchRow>& rows, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return Table(rows);
    case ReportFormat::kCsv:
      return Csv(rows);
    case ReportFormat::kJson: {
      nlohmann::json list = nlohmann::json::array();
      for (const BenchRow& row : rows) list.push_back(RowJson(row));
      return list.dump(2) + "\n";
    }
  }
  return "";
}

}  // namespace tensor_transform::client
