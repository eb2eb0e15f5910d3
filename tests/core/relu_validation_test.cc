// Argument validation: every malformed call, single or batched (core/runs.h),
// is rejected with InvalidArgument, a message naming the value (and the run),
// and untouched outputs.
#include <cstring>
#include <string>

#include "core/relu.h"
#include "core/runs.h"
#include "gtest/gtest.h"
#include "tests/core/test_data.h"

namespace tensor_transform::core::testing {
namespace {

constexpr DType kF32 = DType::kFloat32;

// Room for 8 float32 with slack on both sides, aligned, filled with sentinels.
class ReluValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    std::memset(a_.data(), kSentinelByte, a_.size());
    std::memset(b_.data(), kSentinelByte, b_.size());
  }
  // `count` float32 elements starting at element `first` of buffer a or b.
  absl::Span<uint8_t> A(size_t first, size_t count) {
    return a_.Elements(first, count);
  }
  absl::Span<uint8_t> B(size_t first, size_t count) {
    return b_.Elements(first, count);
  }
  static ::testing::AssertionResult Rejected(const absl::Status& s,
                                             const std::string& mentions) {
    if (s.code() != absl::StatusCode::kInvalidArgument) {
      return ::testing::AssertionFailure() << "got " << s;
    }
    if (std::string(s.message()).find(mentions) == std::string::npos) {
      return ::testing::AssertionFailure() << "message \"" << s.message()
                                           << "\" lacks \"" << mentions << "\"";
    }
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult OutputUntouched() {
    return SentinelIntact(b_.data(), b_.size());
  }

  ElementBuffer a_{kF32, 16};
  ElementBuffer b_{kF32, 16};
};

TEST_F(ReluValidation, RejectsSizeMismatch) {
  const absl::Status s = Relu(Method::kAbs, kF32, A(0, 4), B(0, 3));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Rejected(s, "out: 12 bytes, but x has 16"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RejectsSizeNotMultipleOfItemSize) {
  const absl::Status s = Relu(Method::kMaximum, kF32, A(0, 4).subspan(0, 6),
                              B(0, 4).subspan(0, 6));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Rejected(s, "x: 6 bytes is not a whole number of float32"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RejectsOutputPartiallyOverlappingInput) {
  const absl::Status s = Relu(Method::kMultiply, kF32, B(0, 8), B(3, 8));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Rejected(s, "out: starts 12 bytes after x and overlaps it"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RejectsUnknownEnums) {
  EXPECT_EQ(Relu(static_cast<Method>(42), kF32, A(0, 4), B(0, 4)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Relu(Method::kAbs, static_cast<DType>(42), A(0, 4), B(0, 4)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReluGradient(static_cast<DType>(-1), A(0, 4), {}, B(0, 4)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RejectsUpstreamSizeMismatch) {
  const absl::Status s = ReluGradient(kF32, A(0, 4), A(8, 5), B(0, 4));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Rejected(s, "upstream: 20 bytes, but x has 16"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RejectsGradientOutputPartiallyOverlappingUpstream) {
  const absl::Status s = ReluGradient(kF32, A(0, 4), B(1, 4), B(0, 4));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Rejected(s, "out: starts 4 bytes before upstream"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RejectsGradientOutputPartiallyOverlappingInput) {
  const absl::Status s = ReluGradient(kF32, B(2, 4), {}, B(0, 4));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Rejected(s, "out: starts 8 bytes before x"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, AcceptsBuffersAtAnyByteAddress) {
  const auto at = [](absl::Span<uint8_t> s, size_t offset) {
    return s.subspan(offset, 16);
  };
  EXPECT_TRUE(
      Relu(Method::kMaximum, kF32, at(A(0, 5), 1), at(B(0, 5), 2)).ok());
  EXPECT_TRUE(ReluInPlace(Method::kMasked, kF32, at(B(0, 5), 3)).ok());
  EXPECT_TRUE(
      ReluGradient(kF32, at(A(0, 5), 1), at(A(8, 5), 3), at(B(0, 5), 2)).ok());
}

TEST_F(ReluValidation, AcceptsEmptyBuffers) {
  EXPECT_TRUE(Relu(Method::kAbs, kF32, {}, {}).ok());
  EXPECT_TRUE(ReluInPlace(Method::kAbs, kF32, {}).ok());
  EXPECT_TRUE(ReluGradient(kF32, {}, {}, {}).ok());
}

TEST_F(ReluValidation, AcceptsOutputExactlyAnInputOrAdjacentToIt) {
  EXPECT_TRUE(Relu(Method::kAbs, kF32, B(0, 4), B(0, 4)).ok());
  EXPECT_TRUE(Relu(Method::kAbs, kF32, B(0, 4), B(4, 4)).ok());
  EXPECT_TRUE(ReluGradient(kF32, A(0, 4), B(0, 4), B(0, 4)).ok());
  EXPECT_TRUE(ReluGradient(kF32, B(0, 4), A(0, 4), B(0, 4)).ok());
  EXPECT_TRUE(ReluGradient(kF32, B(4, 4), B(8, 4), B(0, 4)).ok());
}

// A batch is validated whole before any run is computed: a bad last run
// leaves the good first run's output untouched.
// core::Run, spelled out: inside a test fixture, Run is gtest's Test::Run.
TEST_F(ReluValidation, RunsRejectsABadRunByIndexBeforeComputingAny) {
  const core::Run runs[] = {
      {A(0, 4), {}, B(0, 4)}, {A(4, 2), {}, B(4, 2)}, {A(8, 4), {}, B(8, 3)}};
  const absl::Status s = ReluRuns(Method::kAbs, kF32, runs);
  EXPECT_TRUE(Rejected(s, "runs[2].out: 12 bytes, but runs[2].x has 16"));
  EXPECT_TRUE(OutputUntouched());
  const absl::Status g = ReluGradientRuns(kF32, runs);
  EXPECT_TRUE(Rejected(g, "runs[2].out: 12 bytes, but runs[2].x has 16"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RunsRejectsSizeNotMultipleOfItemSize) {
  const core::Run runs[] = {{A(0, 4), {}, B(0, 4)},
                            {A(4, 2).subspan(0, 7), {}, B(4, 2).subspan(0, 7)}};
  EXPECT_TRUE(Rejected(ReluRuns(Method::kMaximum, kF32, runs),
                       "runs[1].x: 7 bytes is not a whole number of float32"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RunsRejectsUpstreamForRelu) {
  const core::Run runs[] = {{A(0, 4), {}, B(0, 4)},
                            {A(4, 4), A(8, 4), B(4, 4)}};
  EXPECT_TRUE(Rejected(ReluRuns(Method::kMaximum, kF32, runs),
                       "runs[1].upstream: 16 bytes, but ReLU takes no "
                       "upstream gradient"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RunsRejectsPartialOverlapAndUpstreamSizeMismatch) {
  const core::Run overlap[] = {{A(0, 4), B(1, 4), B(0, 4)}};
  EXPECT_TRUE(Rejected(ReluGradientRuns(kF32, overlap),
                       "runs[0].out: starts 4 bytes before runs[0].upstream"));
  const core::Run shifted[] = {{A(0, 4), {}, B(0, 4)}, {B(8, 4), {}, B(7, 4)}};
  EXPECT_TRUE(Rejected(ReluRuns(Method::kMasked, kF32, shifted),
                       "runs[1].out: starts 4 bytes before runs[1].x"));
  const core::Run sizes[] = {{A(0, 4), A(4, 3), B(0, 4)}};
  EXPECT_TRUE(Rejected(ReluGradientRuns(kF32, sizes),
                       "runs[0].upstream: 12 bytes, but runs[0].x has 16"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RunsRejectsUnknownEnums) {
  const core::Run runs[] = {{A(0, 4), {}, B(0, 4)}};
  EXPECT_TRUE(Rejected(ReluRuns(static_cast<Method>(42), kF32, runs),
                       "method: unknown value 42"));
  EXPECT_TRUE(Rejected(ReluRuns(Method::kAbs, static_cast<DType>(42), runs),
                       "dtype: unknown value 42"));
  EXPECT_TRUE(Rejected(ReluGradientRuns(static_cast<DType>(-1), runs),
                       "dtype: unknown value -1"));
  EXPECT_TRUE(OutputUntouched());
}

TEST_F(ReluValidation, RunsAcceptsEmptyBatchesEmptyRunsAndAnyAddress) {
  EXPECT_TRUE(ReluRuns(Method::kAbs, kF32, {}).ok());
  EXPECT_TRUE(ReluGradientRuns(kF32, {}).ok());
  const core::Run runs[] = {
      {{}, {}, {}},
      {A(0, 5).subspan(1, 16), {}, B(0, 5).subspan(3, 16)},
      {{}, {}, {}}};
  EXPECT_TRUE(ReluRuns(Method::kAbs, kF32, runs).ok());
  EXPECT_TRUE(ReluGradientRuns(kF32, runs).ok());
}

}  // namespace
}  // namespace tensor_transform::core::testing
