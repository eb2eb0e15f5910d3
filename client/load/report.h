// Renders a load test's results: a terminal table (the default), JSON or
// CSV, and the one-line live progress.
//
//   std::cout << FormatLoadReport(report, ReportFormat::kTable);
//
// JSON: {"settings": {name: value}, "histogram_max_relative_error": e,
// "levels": [{"concurrency", "target_rps", "calls", "errors",
// "wrong_results", "error_rate", "elapsed_s", "calls_per_s", "gbps_out",
// "gbps_in", "latency_ms": {"min", "mean", "p50", "p90", "p95", "p99",
// "p99_9", "max"}, "time_split_ms": {"schedule_wait", "serialize",
// "server_compute", "deserialize", "transport", "verify"}, "status_codes":
// {code: count}, "error_messages": [{"code", "message", "count"}], "mix":
// [{"label", "calls", "errors"}], "histogram_ms": [[lower, upper, count]],
// "timeline": [{"start_s", "calls", "calls_per_s", "errors_per_s",
// "gbps_in"}], "over_max_p99", "client_threads"}]}. CSV: a header and one
// row per level with the scalar values of that object; status codes as
// "CODE=count;...".
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_REPORT_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_REPORT_H_

#include <string>

#include "client/load/result.h"
#include "client/load/runner.h"
#include "client/stats/report_format.h"

namespace tensor_transform::client {

std::string FormatLoadReport(const LoadReport& report, ReportFormat format);

// "c=4  calls 1234  errors 0  412.0 calls/s  p99 5.21 ms  3.0 s"
std::string FormatProgress(const LoadProgress& progress);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_REPORT_H_
