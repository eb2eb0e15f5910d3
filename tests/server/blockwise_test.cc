#include "server/rpc/blockwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/reference.h"
#include "core/runs.h"

namespace tensor_transform::server {
namespace {

using Runs = absl::Span<const core::Run>;

// An array held in pieces of random sizes (0 to 40 bytes: empty pieces and
// elements split across up to 6 pieces both occur), each in a buffer of its
// own at a random misalignment, as a received message's slices are: reading
// or writing past a piece's end never finds the next piece's bytes.
class Scattered {
 public:
  Scattered(const std::vector<uint8_t>& bytes, std::mt19937& random) {
    for (size_t at = 0; at < bytes.size();) {
      const size_t n = std::min<size_t>(random() % 41, bytes.size() - at);
      const size_t shift = random() % 8;
      buffers_.emplace_back(n + shift + 64, 0xa5);
      std::copy_n(bytes.begin() + at, n, buffers_.back().begin() + shift);
      pieces_.emplace_back(buffers_.back().data() + shift, n);
      at += n;
    }
  }
  Pieces pieces() const { return pieces_; }
  std::vector<uint8_t> Gather() const {
    std::vector<uint8_t> bytes;
    for (absl::Span<uint8_t> piece : pieces_) {
      bytes.insert(bytes.end(), piece.begin(), piece.end());
    }
    return bytes;
  }

 private:
  std::vector<std::vector<uint8_t>> buffers_;
  std::vector<absl::Span<uint8_t>> pieces_;
};

// The reference: every element of `in` with its bytes reversed, which only
// a whole-element computation reproduces.
std::vector<uint8_t> ReverseEach(const std::vector<uint8_t>& in,
                                 size_t itemsize) {
  std::vector<uint8_t> out(in);
  for (size_t at = 0; at < out.size(); at += itemsize) {
    std::reverse(out.begin() + at, out.begin() + at + itemsize);
  }
  return out;
}

// Reverses every element of every run from x into out: a computation only
// whole elements reproduce.
absl::Status ReverseRuns(Runs runs, size_t itemsize) {
  for (const core::Run& run : runs) {
    EXPECT_EQ(run.x.size(), run.out.size());
    EXPECT_EQ(run.x.size() % itemsize, 0u);
    std::vector<uint8_t> x(run.x.begin(), run.x.end());  // may be out
    for (size_t i = 0; i < x.size(); i += itemsize) {
      std::reverse_copy(x.begin() + i, x.begin() + i + itemsize,
                        run.out.begin() + i);
    }
  }
  return absl::OkStatus();
}

TEST(ForEachBlock, ComputesWholeElementsAcrossPieces) {
  std::mt19937 random(7);
  for (size_t itemsize : {1, 2, 4, 8}) {
    SCOPED_TRACE(itemsize);
    const size_t bytes = itemsize * 1000;
    std::vector<uint8_t> original(bytes);
    for (uint8_t& b : original) b = static_cast<uint8_t>(random());
    const Scattered in(original, random);
    const Scattered out(std::vector<uint8_t>(bytes, 0xee), random);
    absl::Status status = ForEachBlock(
        [] { return false; }, bytes, itemsize, {in.pieces(), out.pieces(), {}},
        [&](Runs runs) { return ReverseRuns(runs, itemsize); });
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(out.Gather(), ReverseEach(original, itemsize));
    EXPECT_EQ(in.Gather(), original);
  }
}

TEST(ForEachBlock, ComputesInPlaceAcrossPieces) {
  std::mt19937 random(8);
  std::vector<uint8_t> bytes(8 * 777);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
  const Scattered x(bytes, random);
  ASSERT_TRUE(ForEachBlock([] { return false; }, bytes.size(), 8,
                           {x.pieces(), x.pieces(), {}},
                           [](Runs runs) { return ReverseRuns(runs, 8); })
                  .ok());
  EXPECT_EQ(x.Gather(), ReverseEach(bytes, 8));
}

TEST(ForEachBlock, ComputesMisalignedPiecesWhereTheyLie) {
  // Two large pieces, both starting 1 byte past an element boundary: every
  // run but the one element across them lies in the pieces themselves.
  std::vector<uint64_t> storage(100'000);
  auto* base = reinterpret_cast<uint8_t*>(storage.data()) + 1;
  const size_t bytes = 8 * 99'000;
  std::vector<uint8_t> x(base, base + bytes);
  const std::vector<uint8_t> expected = ReverseEach(x, 8);
  const absl::Span<uint8_t> pieces[] = {
      {base, 8 * 50'000 + 3}, {base + 8 * 50'000 + 3, bytes - 8 * 50'000 - 3}};
  int in_scratch = 0;
  ASSERT_TRUE(ForEachBlock([] { return false; }, bytes, 8, {pieces, pieces, {}},
                           [&](Runs runs) {
                             for (const core::Run& run : runs) {
                               const bool in_pieces =
                                   run.x.data() >= base &&
                                   run.x.data() < base + bytes;
                               in_scratch += in_pieces ? 0 : 1;
                             }
                             return ReverseRuns(runs, 8);
                           })
                  .ok());
  EXPECT_EQ(in_scratch, 1);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), base));
}

TEST(ForEachBlock, MatchesTheReferenceOverScatteredPieces) {
  std::mt19937 random(9);
  const size_t n = 3001;
  std::vector<double> values(n);
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (double& v : values) v = uniform(random);
  std::vector<uint8_t> bytes(n * 8), g(n * 8);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  for (uint8_t& b : g) b = static_cast<uint8_t>(random());
  std::vector<uint8_t> relu(n * 8), gradient(n * 8);
  core::ReferenceRelu(core::DType::kFloat64, bytes.data(), relu.data(), n);
  core::ReferenceGradient(core::DType::kFloat64, bytes.data(), g.data(),
                          gradient.data(), n);
  const Scattered x(bytes, random), up(g, random);
  const Scattered out(std::vector<uint8_t>(n * 8), random);
  ASSERT_TRUE(ForEachBlock([] { return false; }, n * 8, 8,
                           {x.pieces(), out.pieces(), {}},
                           [](Runs runs) {
                             return core::ReluRuns(core::Method::kAbs,
                                                   core::DType::kFloat64, runs);
                           })
                  .ok());
  EXPECT_EQ(out.Gather(), relu);
  ASSERT_TRUE(ForEachBlock([] { return false; }, n * 8, 8,
                           {x.pieces(), x.pieces(), up.pieces()},
                           [](Runs runs) {
                             return core::ReluGradientRuns(
                                 core::DType::kFloat64, runs);
                           })
                  .ok());
  EXPECT_EQ(x.Gather(), gradient);
}

TEST(ForEachBlock, CoversOnePieceInBlocks) {
  const size_t bytes = 8 * (2 * kBlockBytes / 8 + 1000);  // 3 blocks
  std::vector<uint8_t> data(bytes);
  const absl::Span<uint8_t> piece[] = {absl::MakeSpan(data)};
  size_t next = 0;
  int blocks = 0;
  absl::Status status = ForEachBlock(
      [] { return false; }, bytes, 8, {piece, piece, {}},
      [&](Runs runs) {
        EXPECT_EQ(runs.size(), 1u);
        EXPECT_EQ(static_cast<size_t>(runs[0].x.data() - data.data()), next);
        EXPECT_LE(runs[0].x.size(), kBlockBytes);
        next += runs[0].x.size();
        ++blocks;
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(next, bytes);
  EXPECT_EQ(blocks, 3);
}

TEST(ForEachBlock, StopsBetweenBlocksOnceCancelled) {
  std::vector<uint8_t> data(10 * kBlockBytes);
  const absl::Span<uint8_t> piece[] = {absl::MakeSpan(data)};
  int asked = 0;
  int computed = 0;
  absl::Status status = ForEachBlock([&] { return ++asked > 2; }, data.size(),
                                     8, {piece, piece, {}},
                                     [&](Runs) {
                                       ++computed;
                                       return absl::OkStatus();
                                     });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(computed, 2);
}

TEST(ForEachBlock, ComputesAnEmptyArrayOnceAndPassesErrorsOn) {
  int computed = 0;
  EXPECT_TRUE(ForEachBlock([] { return false; }, 0, 8, {},
                           [&](Runs runs) {
                             EXPECT_TRUE(runs.empty());
                             ++computed;
                             return absl::OkStatus();
                           })
                  .ok());
  EXPECT_EQ(computed, 1);
  std::vector<uint8_t> data(64);
  const absl::Span<uint8_t> piece[] = {absl::MakeSpan(data)};
  EXPECT_EQ(
      ForEachBlock([] { return false; }, data.size(), 8, {piece, piece, {}},
                   [](Runs) { return absl::InvalidArgumentError("bad"); })
          .code(),
      absl::StatusCode::kInvalidArgument);
  // An array shorter than the tensor is a bug of the caller, not a crash.
  EXPECT_EQ(ForEachBlock([] { return false; }, 72, 8, {piece, piece, {}},
                         [](Runs) { return absl::OkStatus(); })
                .code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace tensor_transform::server
