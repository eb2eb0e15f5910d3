// ReluRuns / ReluGradientRuns over random piece layouts: an array cut into
// pieces of random sizes (empty and tiny ones included), each at a random
// byte address, as a received message's slices are. Every method and dtype,
// every kernel variant (instruction set, stores, a split over the pool), out
// of place into pieces or into one contiguous output, in place, the gradient
// with and without upstream: bit for bit the scalar reference on the whole
// array, with sentinels in the gaps between pieces. A large batch split over
// the pool with streaming stores equals one thread with normal stores.
#include "core/runs.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/reference.h"
#include "gtest/gtest.h"
#include "tests/core/kernel_variants.h"
#include "tests/core/test_data.h"

namespace tensor_transform::core::testing {
namespace {

// Element counts of the pieces of an array of about `elements`: mostly
// random sizes, about one in four empty or of 1..3 elements.
std::vector<size_t> RandomPieceSizes(size_t elements, std::mt19937_64& rng) {
  std::vector<size_t> sizes;
  for (size_t left = elements; left > 0;) {
    size_t n = rng() % 4 == 0 ? rng() % 4 : 1 + rng() % 700;
    if (n > left) n = left;
    sizes.push_back(n);
    left -= n;
  }
  return sizes;
}

// An array held in pieces: piece i sits at a random byte offset after the
// previous one (gaps of 1..64 bytes, so every misalignment occurs), in one
// allocation whose gaps and tail hold sentinels.
class Pieces {
 public:
  Pieces(DType dtype, const std::vector<size_t>& sizes, std::mt19937_64& rng)
      : item_(ItemSize(dtype)) {
    size_t end = 0;
    for (size_t n : sizes) {
      end += 1 + rng() % 64;
      offsets_.push_back(end);
      end += n * item_;
    }
    storage_.assign(end + 64, kSentinelByte);
    for (size_t i = 0; i < sizes.size(); ++i) {
      spans_.emplace_back(storage_.data() + offsets_[i], sizes[i] * item_);
    }
  }
  absl::Span<uint8_t> operator[](size_t i) { return spans_[i]; }
  // Copies the whole array `array` into the pieces, in order.
  void Scatter(const std::vector<uint8_t>& array) {
    size_t at = 0;
    for (absl::Span<uint8_t> s : spans_) {
      std::memcpy(s.data(), array.data() + at, s.size());
      at += s.size();
    }
  }
  // The pieces joined in order.
  std::vector<uint8_t> Gather() const {
    std::vector<uint8_t> array;
    for (absl::Span<uint8_t> s : spans_) {
      array.insert(array.end(), s.begin(), s.end());
    }
    return array;
  }
  ::testing::AssertionResult SentinelsIntact() const {
    size_t from = 0;
    for (absl::Span<uint8_t> s : spans_) {
      const size_t gap = static_cast<size_t>(s.data() - storage_.data()) - from;
      auto intact = SentinelIntact(storage_.data() + from, gap);
      if (!intact) return intact << " before a piece at +" << from + gap;
      from += gap + s.size();
    }
    return SentinelIntact(storage_.data() + from, storage_.size() - from)
           << " after the last piece";
  }

 private:
  size_t item_;
  std::vector<size_t> offsets_;
  std::vector<uint8_t> storage_;
  std::vector<absl::Span<uint8_t>> spans_;
};

// One contiguous output of `elements` at a random misalignment, with
// sentinels around it.
struct Contiguous {
  Contiguous(DType dtype, size_t elements, std::mt19937_64& rng)
      : item(ItemSize(dtype)), offset(rng() % 8) {
    storage.assign(offset + elements * item + 64, kSentinelByte);
  }
  absl::Span<uint8_t> Piece(size_t first, size_t n) {
    return {storage.data() + offset + first * item, n * item};
  }
  std::vector<uint8_t> Array(size_t bytes) const {
    return {storage.begin() + offset, storage.begin() + offset + bytes};
  }
  ::testing::AssertionResult SentinelsIntact(size_t bytes) const {
    auto head = SentinelIntact(storage.data(), offset);
    if (!head) return head << " before the output";
    return SentinelIntact(storage.data() + offset + bytes,
                          storage.size() - offset - bytes)
           << " after the output";
  }
  size_t item;
  size_t offset;
  std::vector<uint8_t> storage;
};

// Where a batch writes.
enum class Target {
  kPieces,      // out in pieces of their own
  kContiguous,  // out in one contiguous buffer
  kX,           // out is x (in place)
  kUpstream,    // out is upstream (gradient only)
};

const char* TargetName(Target target) {
  switch (target) {
    case Target::kPieces:
      return "out in pieces";
    case Target::kContiguous:
      return "contiguous out";
    case Target::kX:
      return "out is x";
    case Target::kUpstream:
      return "out is upstream";
  }
  return "?";
}

size_t Sum(const std::vector<size_t>& sizes) {
  size_t sum = 0;
  for (size_t n : sizes) sum += n;
  return sum;
}

// A random array in pieces of `sizes` at random addresses, with upstream
// pieces and out pieces of the same sizes at other random addresses.
struct Batch {
  Batch(DType dtype, std::vector<size_t> piece_sizes, std::mt19937_64& rng)
      : dtype(dtype),
        sizes(std::move(piece_sizes)),
        x(dtype, sizes, rng),
        g(dtype, sizes, rng),
        out(dtype, sizes, rng),
        contiguous(dtype, Sum(sizes), rng),
        x_array(Sum(sizes) * ItemSize(dtype)),
        g_array(x_array.size()) {
    FillInput(x_array.data(), Sum(sizes), dtype, rng);
    FillInput(g_array.data(), Sum(sizes), dtype, rng);
    x.Scatter(x_array);
    g.Scatter(g_array);
  }

  // The runs writing to `target`; `with_upstream`: the gradient's upstream.
  std::vector<Run> Runs(Target target, bool with_upstream) {
    std::vector<Run> runs;
    size_t first = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      const absl::Span<uint8_t> targets[] = {
          out[i], contiguous.Piece(first, sizes[i]), x[i], g[i]};
      runs.push_back({x[i], with_upstream ? g[i] : absl::Span<uint8_t>(),
                      targets[static_cast<int>(target)]});
      first += sizes[i];
    }
    return runs;
  }

  // Success when the batch written to `target` holds `expected`, and no
  // sentinel and no input it did not write changed.
  ::testing::AssertionResult Holds(Target target,
                                   const std::vector<uint8_t>& expected) {
    const size_t n = expected.size() / ItemSize(dtype);
    const std::vector<uint8_t> got =
        target == Target::kContiguous ? contiguous.Array(expected.size())
        : target == Target::kX        ? x.Gather()
        : target == Target::kUpstream ? g.Gather()
                                      : out.Gather();
    auto same = SameBits(dtype, got.data(), expected.data(), n, x_array.data());
    if (!same) return same;
    for (const Pieces* p : {&x, &g, &out}) {
      auto intact = p->SentinelsIntact();
      if (!intact) return intact;
    }
    if (target != Target::kX && x.Gather() != x_array) {
      return ::testing::AssertionFailure() << "x changed";
    }
    if (target != Target::kUpstream && g.Gather() != g_array) {
      return ::testing::AssertionFailure() << "upstream changed";
    }
    return contiguous.SentinelsIntact(expected.size());
  }

  DType dtype;
  std::vector<size_t> sizes;
  Pieces x, g, out;
  Contiguous contiguous;
  std::vector<uint8_t> x_array, g_array;
};

// Arrays of these many elements, each cut at random several times.
constexpr size_t kArrayElements[] = {0, 1, 5, 333, 4099};
constexpr int kLayoutsPerSize = 3;

class ReluRunsMatchReference
    : public ::testing::TestWithParam<std::tuple<Method, DType>> {};

TEST_P(ReluRunsMatchReference, OverRandomPieceLayouts) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  std::mt19937_64 rng(kSeed);
  const auto [method, dtype] = GetParam();
  for (const KernelVariant& variant : KernelVariants(dtype)) {
    for (size_t elements : kArrayElements) {
      for (int layout = 0; layout < kLayoutsPerSize; ++layout) {
        for (Target target :
             {Target::kPieces, Target::kContiguous, Target::kX}) {
          SCOPED_TRACE(absl::StrCat(variant.name, ", ", elements,
                                    " elements, layout ", layout, ", ",
                                    TargetName(target)));
          Batch batch(dtype, RandomPieceSizes(elements, rng), rng);
          std::vector<uint8_t> expected(batch.x_array.size());
          ReferenceRelu(dtype, batch.x_array.data(), expected.data(), elements);
          const absl::Status s = ReluRuns(
              method, dtype, batch.Runs(target, false), variant.options);
          ASSERT_TRUE(s.ok()) << s;
          ASSERT_TRUE(batch.Holds(target, expected));
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethodsAndDTypes, ReluRunsMatchReference,
                         ::testing::Combine(::testing::ValuesIn(kAllMethods),
                                            ::testing::ValuesIn(kAllDTypes)),
                         [](const auto& info) {
                           return CaseName(std::get<0>(info.param),
                                           std::get<1>(info.param));
                         });

class GradientRunsMatchReference : public ::testing::TestWithParam<DType> {};

TEST_P(GradientRunsMatchReference, OverRandomPieceLayouts) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  std::mt19937_64 rng(kSeed);
  const DType dtype = GetParam();
  for (const KernelVariant& variant : KernelVariants(dtype)) {
    for (size_t elements : kArrayElements) {
      for (bool with_upstream : {false, true}) {
        for (Target target : {Target::kPieces, Target::kContiguous, Target::kX,
                              Target::kUpstream}) {
          if (!with_upstream && target == Target::kUpstream) continue;
          SCOPED_TRACE(
              absl::StrCat(variant.name, ", ", elements, " elements, ",
                           with_upstream ? "upstream, " : "no upstream, ",
                           TargetName(target)));
          Batch batch(dtype, RandomPieceSizes(elements, rng), rng);
          std::vector<uint8_t> expected(batch.x_array.size());
          ReferenceGradient(dtype, batch.x_array.data(),
                            with_upstream ? batch.g_array.data() : nullptr,
                            expected.data(), elements);
          const absl::Status s = ReluGradientRuns(
              dtype, batch.Runs(target, with_upstream), variant.options);
          ASSERT_TRUE(s.ok()) << s;
          ASSERT_TRUE(batch.Holds(target, expected));
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, GradientRunsMatchReference,
                         ::testing::ValuesIn(kAllDTypes),
                         [](const auto& info) { return CaseName(info.param); });

// Above the default thread (2 MiB) and streaming (16 MiB) thresholds for
// float64, in pieces of about 1 MiB at odd addresses: the default options
// (split over the pool, streaming stores where out is neither input) give the
// bits of one thread with normal stores, which are the reference's.
TEST(LargeRuns, PoolAndStreamingStoresEqualOneThread) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  std::mt19937_64 rng(kSeed);
  constexpr DType kDType = DType::kFloat64;
  std::vector<size_t> sizes;
  for (size_t left = (size_t{17} << 20) / 8 + 3; left > 0;) {
    const size_t n = std::min<size_t>(left, (size_t{1} << 17) - rng() % 100);
    sizes.push_back(n);
    left -= n;
  }
  Batch batch(kDType, sizes, rng);
  const size_t elements = Sum(sizes);
  std::vector<uint8_t> relu(batch.x_array.size()), gradient(relu.size());
  ReferenceRelu(kDType, batch.x_array.data(), relu.data(), elements);
  ReferenceGradient(kDType, batch.x_array.data(), batch.g_array.data(),
                    gradient.data(), elements);
  KernelOptions one_thread;
  one_thread.threads = 1;
  one_thread.streaming_min_bytes = SIZE_MAX;
  for (const KernelOptions& options : {one_thread, KernelOptions()}) {
    SCOPED_TRACE(options.threads == 1 ? "one thread" : "default options");
    for (Target target : {Target::kPieces, Target::kContiguous}) {
      SCOPED_TRACE(TargetName(target));
      ASSERT_TRUE(
          ReluRuns(Method::kMaximum, kDType, batch.Runs(target, false), options)
              .ok());
      EXPECT_TRUE(batch.Holds(target, relu));
      ASSERT_TRUE(
          ReluGradientRuns(kDType, batch.Runs(target, true), options).ok());
      EXPECT_TRUE(batch.Holds(target, gradient));
    }
  }
  // In place last: it overwrites x.
  ASSERT_TRUE(
      ReluRuns(Method::kMaximum, kDType, batch.Runs(Target::kX, false)).ok());
  EXPECT_TRUE(batch.Holds(Target::kX, relu));
}

}  // namespace
}  // namespace tensor_transform::core::testing
