#include "server/rpc/blockwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace tensor_transform::server {
namespace {

using Runs = absl::Span<const absl::Span<uint8_t>>;

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

TEST(ForEachRun, ComputesWholeElementsAcrossPieces) {
  std::mt19937 random(7);
  for (size_t itemsize : {1, 2, 4, 8}) {
    SCOPED_TRACE(itemsize);
    const size_t bytes = itemsize * 1000;
    std::vector<uint8_t> original(bytes);
    for (uint8_t& b : original) b = static_cast<uint8_t>(random());
    const Scattered in(original, random);
    const Scattered out(std::vector<uint8_t>(bytes, 0xee), random);
    const Pieces arrays[] = {in.pieces(), out.pieces()};
    absl::Status status = ForEachRun(
        [] { return false; }, bytes, itemsize, arrays,
        [&](Runs runs) {
          EXPECT_EQ(runs.size(), 2u);
          EXPECT_EQ(runs[0].size(), runs[1].size());
          EXPECT_EQ(runs[0].size() % itemsize, 0u);
          for (absl::Span<uint8_t> run : runs) {
            EXPECT_EQ(reinterpret_cast<uintptr_t>(run.data()) % itemsize, 0u);
          }
          for (size_t i = 0; i < runs[0].size(); i += itemsize) {
            std::reverse_copy(runs[0].begin() + i,
                              runs[0].begin() + i + itemsize,
                              runs[1].begin() + i);
          }
          return absl::OkStatus();
        });
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(out.Gather(), ReverseEach(original, itemsize));
    EXPECT_EQ(in.Gather(), original);  // inputs are written back unchanged
  }
}

TEST(ForEachRun, ComputesInPlaceAcrossPieces) {
  std::mt19937 random(8);
  std::vector<uint8_t> bytes(8 * 777);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
  const Scattered x(bytes, random);
  const Pieces arrays[] = {x.pieces()};
  ASSERT_TRUE(ForEachRun([] { return false; }, bytes.size(), 8, arrays,
                         [](Runs runs) {
                           for (size_t i = 0; i < runs[0].size(); i += 8) {
                             std::reverse(runs[0].begin() + i,
                                          runs[0].begin() + i + 8);
                           }
                           return absl::OkStatus();
                         })
                  .ok());
  EXPECT_EQ(x.Gather(), ReverseEach(bytes, 8));
}

TEST(ForEachRun, ComputesMisalignedPiecesInAlignedRuns) {
  // Two large pieces, both starting 1 byte past an element boundary.
  std::vector<uint64_t> storage(100'000);
  auto* base = reinterpret_cast<uint8_t*>(storage.data()) + 1;
  const size_t bytes = 8 * 99'000;
  std::vector<uint8_t> x(base, base + bytes);
  const std::vector<uint8_t> expected = ReverseEach(x, 8);
  const absl::Span<uint8_t> pieces[] = {
      {base, 8 * 50'000 + 3}, {base + 8 * 50'000 + 3, bytes - 8 * 50'000 - 3}};
  const Pieces arrays[] = {pieces};
  ASSERT_TRUE(
      ForEachRun([] { return false; }, bytes, 8, arrays,
                 [](Runs runs) {
                   EXPECT_EQ(reinterpret_cast<uintptr_t>(runs[0].data()) % 8,
                             0u);
                   for (size_t i = 0; i < runs[0].size(); i += 8) {
                     std::reverse(runs[0].begin() + i, runs[0].begin() + i + 8);
                   }
                   return absl::OkStatus();
                 })
          .ok());
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), base));
}

TEST(ForEachRun, CoversOnePieceInBlocks) {
  const size_t bytes = 8 * (2 * kBlockBytes / 8 + 1000);  // 3 blocks
  std::vector<uint8_t> data(bytes);
  const absl::Span<uint8_t> piece[] = {absl::MakeSpan(data)};
  const Pieces arrays[] = {piece};
  size_t next = 0;
  int runs_seen = 0;
  absl::Status status = ForEachRun(
      [] { return false; }, bytes, 8, arrays,
      [&](Runs runs) {
        EXPECT_EQ(static_cast<size_t>(runs[0].data() - data.data()), next);
        EXPECT_LE(runs[0].size(), kBlockBytes);
        next += runs[0].size();
        ++runs_seen;
        return absl::OkStatus();
      });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(next, bytes);
  EXPECT_EQ(runs_seen, 3);
}

TEST(ForEachRun, StopsBetweenBlocksOnceCancelled) {
  std::vector<uint8_t> data(10 * kBlockBytes);
  const absl::Span<uint8_t> piece[] = {absl::MakeSpan(data)};
  const Pieces arrays[] = {piece};
  int asked = 0;
  int computed = 0;
  absl::Status status =
      ForEachRun([&] { return ++asked > 2; }, data.size(), 8, arrays,
                 [&](Runs) {
                   ++computed;
                   return absl::OkStatus();
                 });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(computed, 2);
}

TEST(ForEachRun, ComputesAnEmptyArrayOnceAndPassesErrorsOn) {
  const Pieces none[] = {Pieces()};
  int computed = 0;
  EXPECT_TRUE(ForEachRun([] { return false; }, 0, 8, none,
                         [&](Runs runs) {
                           EXPECT_TRUE(runs[0].empty());
                           ++computed;
                           return absl::OkStatus();
                         })
                  .ok());
  EXPECT_EQ(computed, 1);
  std::vector<uint8_t> data(64);
  const absl::Span<uint8_t> piece[] = {absl::MakeSpan(data)};
  const Pieces arrays[] = {piece};
  EXPECT_EQ(ForEachRun([] { return false; }, data.size(), 8, arrays,
                       [](Runs) { return absl::InvalidArgumentError("bad"); })
                .code(),
            absl::StatusCode::kInvalidArgument);
  // An array shorter than the tensor is a bug of the caller, not a crash.
  EXPECT_EQ(ForEachRun([] { return false; }, 72, 8, arrays,
                       [](Runs) { return absl::OkStatus(); })
                .code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace tensor_transform::server
