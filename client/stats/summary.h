// Latency summaries for the bench: exact percentiles over a small sample.
//
//   LatencySummary s = Summarize({12.5, 11.0, 13.2});  // s.p50 == 12.5
#ifndef TENSOR_TRANSFORM_CLIENT_STATS_SUMMARY_H_
#define TENSOR_TRANSFORM_CLIENT_STATS_SUMMARY_H_

#include <vector>

namespace tensor_transform::client {

struct LatencySummary {
  double min = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0,
         mean = 0;
};

// Nearest-rank percentiles (the smallest sample with at least p% of the
// samples at or below it); all zero for an empty sample.
LatencySummary Summarize(std::vector<double> samples);

// The nearest-rank p-th percentile (0 < p <= 100) of sorted samples.
double NearestRank(const std::vector<double>& sorted, double p);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_STATS_SUMMARY_H_
