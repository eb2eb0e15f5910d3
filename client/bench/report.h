// Renders bench rows as a terminal table, JSON or CSV.
//
//   std::cout << FormatRows(rows, ReportFormat::kJson);
//
// JSON is a list of objects with the keys rpc, method, mode, dtype, shape,
// repeats, latency_ms {p50, p90, p99, min, max}, server_compute_ms {p50},
// throughput_gbps, verified. CSV has one column per leaf of that object.
#ifndef TENSOR_TRANSFORM_CLIENT_BENCH_REPORT_H_
#define TENSOR_TRANSFORM_CLIENT_BENCH_REPORT_H_

#include <string>
#include <vector>

#include "client/bench/runner.h"
#include "client/stats/report_format.h"

namespace tensor_transform::client {

std::string FormatRows(const std::vector<BenchRow>& rows, ReportFormat format);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_BENCH_REPORT_H_
