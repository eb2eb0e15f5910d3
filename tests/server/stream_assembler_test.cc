#include "server/rpc/stream_assembler.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::HeaderMessage;

constexpr int64_t kMaxElements = int64_t{1} << 40;

v1::StreamRequest Chunk(size_t bytes, size_t upstream_bytes = 0) {
  v1::StreamRequest chunk;
  chunk.set_data(std::string(bytes, '\x01'));
  chunk.set_upstream(std::string(upstream_bytes, '\x02'));
  return chunk;
}

// Checks the code and that the message contains `part`.
void ExpectError(const absl::Status& status, absl::StatusCode code,
                 absl::string_view part) {
  EXPECT_EQ(status.code(), code) << status;
  EXPECT_NE(status.message().find(part), absl::string_view::npos) << status;
}

// An apply stream of 4 FLOAT32 elements (16 bytes) past its header.
class ApplyStreamAssembler : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        assembler_.Accept(HeaderMessage(v1::FLOAT32, {2, 2}, v1::ABS)).ok());
  }
  StreamAssembler assembler_{StreamKind::kApply, kMaxElements};
};

TEST_F(ApplyStreamAssembler, AcceptsWholeElementChunksUpToTheTotal) {
  EXPECT_EQ(assembler_.spec().dtype, core::DType::kFloat32);
  EXPECT_EQ(assembler_.spec().method, core::Method::kAbs);
  EXPECT_EQ(assembler_.spec().total_bytes, 16);
  EXPECT_TRUE(assembler_.Accept(Chunk(4)).ok());
  EXPECT_TRUE(assembler_.Accept(Chunk(12)).ok());
  EXPECT_EQ(assembler_.chunks(), 2);
  EXPECT_TRUE(assembler_.Finish().ok());
}

TEST_F(ApplyStreamAssembler, RejectsSecondHeader) {
  ExpectError(assembler_.Accept(HeaderMessage(v1::FLOAT32, {4}, v1::ABS)),
              absl::StatusCode::kInvalidArgument,
              "chunk 0: carries a second header");
}

TEST_F(ApplyStreamAssembler, RejectsEmptyChunk) {
  ExpectError(assembler_.Accept(Chunk(0)), absl::StatusCode::kInvalidArgument,
              "chunk 0: data is 0 bytes");
}

TEST_F(ApplyStreamAssembler, RejectsChunkOfPartialElements) {
  ASSERT_TRUE(assembler_.Accept(Chunk(4)).ok());
  ExpectError(assembler_.Accept(Chunk(6)), absl::StatusCode::kInvalidArgument,
              "chunk 1: data is 6 bytes, but must be a non-zero multiple of 4");
}

TEST_F(ApplyStreamAssembler, RejectsUpstreamOnApplyStream) {
  ExpectError(assembler_.Accept(Chunk(4, 4)),
              absl::StatusCode::kInvalidArgument,
              "chunk 0: upstream is 4 bytes");
}

TEST_F(ApplyStreamAssembler, RejectsStreamPastAnnouncedSize) {
  ASSERT_TRUE(assembler_.Accept(Chunk(12)).ok());
  ExpectError(assembler_.Accept(Chunk(8)), absl::StatusCode::kOutOfRange,
              "chunk 1: data is 8 bytes after 12, past the 16 bytes");
}

TEST_F(ApplyStreamAssembler, RejectsShortStream) {
  ASSERT_TRUE(assembler_.Accept(Chunk(8)).ok());
  ExpectError(assembler_.Finish(), absl::StatusCode::kInvalidArgument,
              "stream ended after 8 of 16 bytes");
}

TEST_F(ApplyStreamAssembler, KeepsReportingTheFirstError) {
  ASSERT_FALSE(assembler_.Accept(Chunk(3)).ok());
  ExpectError(assembler_.Accept(Chunk(4)), absl::StatusCode::kInvalidArgument,
              "chunk 0: data is 3 bytes");
  ExpectError(assembler_.Finish(), absl::StatusCode::kInvalidArgument,
              "chunk 0: data is 3 bytes");
}

TEST(StreamAssembler, RejectsStreamWithoutHeader) {
  StreamAssembler assembler(StreamKind::kApply, kMaxElements);
  ExpectError(assembler.Accept(Chunk(4)), absl::StatusCode::kInvalidArgument,
              "header: missing");
}

TEST(StreamAssembler, RejectsHeaderCarryingData) {
  StreamAssembler assembler(StreamKind::kApply, kMaxElements);
  v1::StreamRequest header = HeaderMessage(v1::INT8, {4}, v1::MAXIMUM);
  header.set_data("abcd");
  ExpectError(assembler.Accept(header), absl::StatusCode::kInvalidArgument,
              "must carry no data");
}

TEST(StreamAssembler, RejectsEmptyStream) {
  StreamAssembler assembler(StreamKind::kApply, kMaxElements);
  ExpectError(assembler.Finish(), absl::StatusCode::kInvalidArgument,
              "stream ended before its first message");
}

TEST(StreamAssembler, ValidatesHeaderLikeATensor) {
  StreamAssembler assembler(StreamKind::kApply, kMaxElements);
  ExpectError(assembler.Accept(HeaderMessage(v1::INT8, {4, -2}, v1::MAXIMUM)),
              absl::StatusCode::kInvalidArgument, "header.shape[1]: -2");
  StreamAssembler unspecified(StreamKind::kApply, kMaxElements);
  ExpectError(unspecified.Accept(
                  HeaderMessage(v1::DTYPE_UNSPECIFIED, {4}, v1::MAXIMUM)),
              absl::StatusCode::kInvalidArgument, "header.dtype");
  StreamAssembler transform(StreamKind::kApply, kMaxElements);
  v1::StreamRequest header = HeaderMessage(v1::INT8, {4}, v1::MAXIMUM);
  *header.mutable_header()->mutable_transform() =
      test_support::UnknownTransformCase();
  ExpectError(transform.Accept(header), absl::StatusCode::kInvalidArgument,
              "header.transform: field number 2");
}

TEST(StreamAssembler, RejectsStreamAboveMaxElements) {
  StreamAssembler assembler(StreamKind::kApply, 100);
  ExpectError(assembler.Accept(HeaderMessage(v1::INT8, {10, 11}, v1::MAXIMUM)),
              absl::StatusCode::kResourceExhausted,
              "header.shape: 110 elements, but a stream carries at most 100");
}

TEST(StreamAssembler, RejectsHasUpstreamOutsideGradient) {
  StreamAssembler assembler(StreamKind::kApply, kMaxElements);
  ExpectError(assembler.Accept(HeaderMessage(v1::INT8, {4}, v1::MAXIMUM, true)),
              absl::StatusCode::kInvalidArgument, "header.has_upstream");
}

TEST(StreamAssembler, AcceptsZeroElementStream) {
  StreamAssembler assembler(StreamKind::kApply, kMaxElements);
  ASSERT_TRUE(
      assembler.Accept(HeaderMessage(v1::INT64, {3, 0}, v1::MASKED)).ok());
  EXPECT_TRUE(assembler.Finish().ok());
  StreamAssembler with_chunk(StreamKind::kApply, kMaxElements);
  ASSERT_TRUE(
      with_chunk.Accept(HeaderMessage(v1::INT64, {0}, v1::MASKED)).ok());
  ExpectError(with_chunk.Accept(Chunk(8)), absl::StatusCode::kOutOfRange,
              "past the 0 bytes");
}

TEST(StreamAssembler, RejectsGradientMethodAbs) {
  StreamAssembler assembler(StreamKind::kGradient, kMaxElements);
  ExpectError(assembler.Accept(HeaderMessage(v1::FLOAT16, {4}, v1::ABS)),
              absl::StatusCode::kInvalidArgument,
              "header.method: ABS, but the gradient supports only MULTIPLY");
}

TEST(StreamAssembler, ChecksGradientUpstreamAgainstHeader) {
  StreamAssembler with(StreamKind::kGradient, kMaxElements);
  ASSERT_TRUE(
      with.Accept(HeaderMessage(v1::FLOAT16, {8}, v1::METHOD_UNSPECIFIED, true))
          .ok());
  EXPECT_EQ(with.spec().method, core::Method::kMultiply);
  EXPECT_TRUE(with.Accept(Chunk(4, 4)).ok());
  ExpectError(with.Accept(Chunk(4, 2)), absl::StatusCode::kInvalidArgument,
              "chunk 1: upstream is 2 bytes and data 4 bytes, but "
              "header.has_upstream is true");
  StreamAssembler without(StreamKind::kGradient, kMaxElements);
  ASSERT_TRUE(
      without.Accept(HeaderMessage(v1::FLOAT16, {8}, v1::MULTIPLY)).ok());
  EXPECT_TRUE(without.Accept(Chunk(4)).ok());
  ExpectError(without.Accept(Chunk(4, 4)), absl::StatusCode::kInvalidArgument,
              "header.has_upstream is false");
}

}  // namespace
}  // namespace tensor_transform::server
