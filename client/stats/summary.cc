#include "client/stats/summary.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tensor_transform::client {

double NearestRank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const size_t index = static_cast<size_t>(std::max(rank, 1.0)) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary Summarize(std::vector<double> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.max = samples.back();
  s.p50 = NearestRank(samples, 50);
  s.p90 = NearestRank(samples, 90);
  s.p95 = NearestRank(samples, 95);
  s.p99 = NearestRank(samples, 99);
  s.p999 = NearestRank(samples, 99.9);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) /
           static_cast<double>(samples.size());
  return s;
}

}  // namespace tensor_transform::client
