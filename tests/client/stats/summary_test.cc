#include "client/stats/summary.h"

#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

TEST(StatsTest, SummarizesNearestRank) {
  std::vector<double> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(i);
  const LatencySummary s = Summarize(samples);
  EXPECT_EQ(s.min, 1);
  EXPECT_EQ(s.p50, 50);
  EXPECT_EQ(s.p90, 90);
  EXPECT_EQ(s.p99, 99);
  EXPECT_EQ(s.max, 100);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

TEST(StatsTest, SmallSampleTakesTheCeilingRank) {
  const LatencySummary s = Summarize({3, 1, 2});
  EXPECT_EQ(s.p50, 2);
  EXPECT_EQ(s.p90, 3);
  EXPECT_EQ(s.p99, 3);
}

TEST(StatsTest, EmptySampleIsAllZero) {
  const LatencySummary s = Summarize({});
  EXPECT_EQ(s.p50, 0);
  EXPECT_EQ(s.max, 0);
}

}  // namespace
}  // namespace tensor_transform::client
