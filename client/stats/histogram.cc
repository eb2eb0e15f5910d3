#include "client/stats/histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tensor_transform::client {
namespace {

constexpr int kBits = LatencyHistogram::kSubBucketBits;
// Values below this have a bucket each.
constexpr uint64_t kExactLimit = uint64_t{2} << kBits;

// Bucket of `value`: the value itself below kExactLimit; above, with
// shift = (index of the top bit) - kBits, the top kBits + 1 bits of the value
// (in [2^kBits, 2^(kBits+1))) offset by shift * 2^kBits, which makes the
// indexes of consecutive powers of two continuous.
size_t IndexOf(uint64_t value) {
  if (value < kExactLimit) return static_cast<size_t>(value);
  const int shift = 63 - __builtin_clzll(value) - kBits;
  return (static_cast<size_t>(shift) << kBits) +
         static_cast<size_t>(value >> shift);
}

// Lower bound and width of bucket `index`.
struct Range {
  int64_t lower;
  int64_t width;
};
Range RangeAt(size_t index) {
  if (index < kExactLimit) return {static_cast<int64_t>(index), 1};
  const int shift = static_cast<int>(index >> kBits) - 1;
  const auto sub =
      static_cast<int64_t>(index - (static_cast<size_t>(shift) << kBits));
  return {sub << shift, int64_t{1} << shift};
}

LatencyHistogram::Bucket BucketAt(size_t index, int64_t count) {
  const Range r = RangeAt(index);
  // The top bucket ends at 2^63, one past what int64 holds.
  const int64_t upper = r.lower > std::numeric_limits<int64_t>::max() - r.width
                            ? std::numeric_limits<int64_t>::max()
                            : r.lower + r.width;
  return {r.lower, upper, count};
}

}  // namespace

void LatencyHistogram::Record(int64_t value) {
  value = std::max<int64_t>(value, 0);
  const size_t index = IndexOf(static_cast<uint64_t>(value));
  if (index >= counts_.size()) counts_.resize(index + 1, 0);
  ++counts_[index];
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) {
    counts_.resize(other.counts_.size(), 0);
  }
  for (size_t i = 0; i < other.counts_.size(); ++i) {
    counts_[i] += other.counts_[i];
  }
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0 : sum_ / static_cast<double>(count_);
}

int64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(count_));
  const int64_t wanted =
      std::clamp(static_cast<int64_t>(rank), int64_t{1}, count_);
  // The extremes are known exactly.
  if (wanted == 1) return min_;
  if (wanted == count_) return max_;
  int64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen < wanted) continue;
    const Range r = RangeAt(i);
    return std::clamp(r.lower + r.width / 2, min_, max_);
  }
  return max_;
}

std::vector<LatencyHistogram::Bucket> LatencyHistogram::NonEmptyBuckets()
    const {
  std::vector<Bucket> buckets;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) buckets.push_back(BucketAt(i, counts_[i]));
  }
  return buckets;
}

}  // namespace tensor_transform::client
