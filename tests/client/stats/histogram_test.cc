#include "client/stats/histogram.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

#include "client/stats/summary.h"
#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

constexpr double kPercentiles[] = {0.1, 1,  10, 25,   50, 75,
                                   90,  95, 99, 99.9, 100};
constexpr uint64_t kSeed = 20240601;

// Log-uniform values from 1 us to 10 s in nanoseconds, as latencies spread.
std::vector<int64_t> LogUniform(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(3, 10);
  std::vector<int64_t> values;
  for (int i = 0; i < n; ++i) {
    values.push_back(static_cast<int64_t>(std::pow(10, exponent(rng))));
  }
  return values;
}

TEST(HistogramTest, IsExactForSmallValues) {
  LatencyHistogram h;
  std::vector<double> exact;
  for (int64_t v = 255; v >= 0; --v) {
    h.Record(v);
    exact.push_back(static_cast<double>(v));
  }
  std::sort(exact.begin(), exact.end());
  for (double p : kPercentiles) {
    EXPECT_EQ(h.Percentile(p), NearestRank(exact, p)) << p;
  }
}

TEST(HistogramTest, PercentilesMatchExactWithinStatedError) {
  std::cout << "seed " << kSeed << "\n";
  const std::vector<int64_t> values = LogUniform(100'000, kSeed);
  LatencyHistogram h;
  for (int64_t v : values) h.Record(v);
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  for (double p : kPercentiles) {
    const double exact = NearestRank(sorted, p);
    EXPECT_LE(std::abs(static_cast<double>(h.Percentile(p)) - exact),
              exact * LatencyHistogram::kMaxRelativeError)
        << "p" << p;
  }
  EXPECT_EQ(h.count(), 100'000);
  EXPECT_EQ(h.min(), static_cast<int64_t>(sorted.front()));
  EXPECT_EQ(h.max(), static_cast<int64_t>(sorted.back()));
  double sum = 0;
  for (int64_t v : values) sum += static_cast<double>(v);
  EXPECT_NEAR(h.mean(), sum / 100'000, sum / 100'000 * 1e-12);
}

TEST(HistogramTest, BucketsAreNarrowAndCountEveryValue) {
  const std::vector<int64_t> values = LogUniform(10'000, kSeed + 1);
  LatencyHistogram h;
  for (int64_t v : values) h.Record(v);
  int64_t counted = 0;
  int64_t previous_upper = 0;
  for (const LatencyHistogram::Bucket& b : h.NonEmptyBuckets()) {
    counted += b.count;
    EXPECT_GE(b.lower, previous_upper);
    EXPECT_LE(static_cast<double>(b.upper - b.lower),
              std::max(1.0, 2 * LatencyHistogram::kMaxRelativeError *
                                static_cast<double>(b.lower)));
    previous_upper = b.upper;
  }
  EXPECT_EQ(counted, h.count());
  const std::vector<LatencyHistogram::Bucket> buckets = h.NonEmptyBuckets();
  for (int64_t v : values) {
    // The last bucket starting at or below v must hold it.
    auto it = std::upper_bound(
        buckets.begin(), buckets.end(), v,
        [](int64_t value, const auto& b) { return value < b.lower; });
    ASSERT_NE(it, buckets.begin()) << v;
    EXPECT_LT(v, std::prev(it)->upper) << v;
  }
}

TEST(HistogramTest, MergeEqualsRecordingEverything) {
  const std::vector<int64_t> values = LogUniform(5'000, kSeed + 2);
  LatencyHistogram all, first, second;
  for (size_t i = 0; i < values.size(); ++i) {
    all.Record(values[i]);
    (i % 3 == 0 ? first : second).Record(values[i]);
  }
  first.Merge(second);
  EXPECT_EQ(first.count(), all.count());
  EXPECT_EQ(first.min(), all.min());
  EXPECT_EQ(first.max(), all.max());
  for (double p : kPercentiles) {
    EXPECT_EQ(first.Percentile(p), all.Percentile(p)) << p;
  }
}

TEST(HistogramTest, HandlesEmptyNegativeAndHugeValues) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(50), 0);
  EXPECT_EQ(h.mean(), 0);
  h.Record(-5);
  EXPECT_EQ(h.min(), 0);
  const int64_t huge = std::numeric_limits<int64_t>::max();
  h.Record(huge);
  EXPECT_EQ(h.max(), huge);
  EXPECT_EQ(h.Percentile(100), huge);
  h.Record(huge - 1);
  EXPECT_GE(
      static_cast<double>(h.Percentile(60)),
      static_cast<double>(huge) * (1 - LatencyHistogram::kMaxRelativeError));
  EXPECT_LE(h.Percentile(60), huge);
}

}  // namespace
}  // namespace tensor_transform::client
