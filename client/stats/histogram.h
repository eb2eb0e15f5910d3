// A latency histogram with bounded relative error, for load tests that record
// millions of calls: constant memory per histogram, O(1) recording, no
// sorting. The bucket layout is HdrHistogram's log-linear one.
//
//   LatencyHistogram h;
//   h.Record(1'234'567);               // nanoseconds
//   int64_t p99 = h.Percentile(99);    // within kMaxRelativeError of exact
//
// Values below 2^(kSubBucketBits + 1) get a bucket each and are exact. Above,
// every power of two [2^m, 2^(m+1)) is cut into 2^kSubBucketBits equal
// buckets, so a bucket is at most 2^-kSubBucketBits of its lower bound wide.
// A percentile is reported as its bucket's midpoint (clamped to the exact
// min and max; the first and last ranks are the exact min and max), which is
// within half a bucket, that is at most kMaxRelativeError = 2^-(kSubBucketBits
// + 1) = 1/256, of the exact nearest-rank sample. min, max, count and mean are
// exact.
#ifndef TENSOR_TRANSFORM_CLIENT_STATS_HISTOGRAM_H_
#define TENSOR_TRANSFORM_CLIENT_STATS_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace tensor_transform::client {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr double kMaxRelativeError =
      1.0 / static_cast<double>(int64_t{2} << kSubBucketBits);

  // Adds one value; negative values count as 0.
  void Record(int64_t value);
  // Adds every value recorded in `other`.
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double mean() const;

  // The nearest-rank p-th percentile (0 < p <= 100: the smallest recorded
  // value with at least p% of the values at or below it), within
  // kMaxRelativeError; 0 when empty.
  int64_t Percentile(double p) const;

  // Values in [lower, upper), `count` of them (the top bucket's upper bound
  // saturates at the largest int64).
  struct Bucket {
    int64_t lower = 0;
    int64_t upper = 0;
    int64_t count = 0;
  };
  std::vector<Bucket> NonEmptyBuckets() const;

 private:
  std::vector<int64_t> counts_;  // grown to the highest bucket recorded
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_STATS_HISTOGRAM_H_
