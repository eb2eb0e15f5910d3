// TensorClient::CallInto: calls on the caller's buffers, against an
// in-process server, compared bit for bit with the scalar reference.
#include "client/tensor_client.h"

#include <cstdint>
#include <random>
#include <vector>

#include "core/reference.h"
#include "gtest/gtest.h"
#include "tests/client/test_server.h"

namespace tensor_transform::client {
namespace {

constexpr int64_t kCap = int64_t{1} << 20;
constexpr size_t kElements = 3 * kCap / 8 + 5;  // streams above the cap
constexpr size_t kUnaryElements = 1000;

testing::TestServerOptions SmallCap() {
  testing::TestServerOptions options;
  options.max_message_bytes = kCap;
  return options;
}

// Random float64 bit patterns: NaN, inf, -0 and subnormals occur.
std::vector<uint8_t> RandomBytes(uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<uint8_t> bytes(kElements * 8);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
  return bytes;
}

class CallIntoTest : public ::testing::Test {
 protected:
  CallIntoTest()
      : server_(SmallCap()),
        client_(MakeChannel(server_.target())),
        x_(RandomBytes(1)),
        g_(RandomBytes(2)),
        relu_(x_.size()),
        gradient_(x_.size()) {
    core::ReferenceRelu(core::DType::kFloat64, x_.data(), relu_.data(),
                        kElements);
    core::ReferenceGradient(core::DType::kFloat64, x_.data(), g_.data(),
                            gradient_.data(), kElements);
  }

  // CallInto on float64 buffers; the result's own data stays empty.
  absl::Status Call(Rpc rpc, Mode mode, absl::Span<const uint8_t> x,
                    absl::Span<const uint8_t> upstream,
                    absl::Span<uint8_t> out) {
    const CallSpec spec{rpc,
                        std::nullopt,
                        core::DType::kFloat64,
                        {static_cast<int64_t>(x.size() / 8)},
                        mode,
                        100'000};
    CallResult result;
    absl::Status status = client_.CallInto(spec, {x, upstream, out}, &result);
    EXPECT_TRUE(result.data.empty());
    return status;
  }

  // The first `bytes` of `data`.
  static absl::Span<const uint8_t> Prefix(const std::vector<uint8_t>& data,
                                          size_t bytes) {
    return {data.data(), bytes};
  }

  static bool StartsWith(const std::vector<uint8_t>& data,
                         const std::vector<uint8_t>& prefix) {
    return std::equal(prefix.begin(), prefix.end(), data.begin());
  }

  testing::TestServer server_;
  TensorClient client_;
  const std::vector<uint8_t> x_, g_;
  std::vector<uint8_t> relu_, gradient_;
};

TEST_F(CallIntoTest, WritesTheResultIntoTheCallersBuffer) {
  for (const Mode mode : {Mode::kUnary, Mode::kStream}) {
    SCOPED_TRACE(ModeName(mode));
    const size_t bytes =
        (mode == Mode::kUnary ? kUnaryElements : kElements) * 8;
    std::vector<uint8_t> out(bytes);
    ASSERT_TRUE(
        Call(Rpc::kApply, mode, Prefix(x_, bytes), {}, absl::MakeSpan(out))
            .ok());
    EXPECT_TRUE(StartsWith(relu_, out));
    ASSERT_TRUE(Call(Rpc::kGradient, mode, Prefix(x_, bytes), Prefix(g_, bytes),
                     absl::MakeSpan(out))
                    .ok());
    EXPECT_TRUE(StartsWith(gradient_, out));
  }
}

TEST_F(CallIntoTest, ComputesInPlaceWhenOutIsTheInput) {
  for (const Mode mode : {Mode::kUnary, Mode::kStream}) {
    SCOPED_TRACE(ModeName(mode));
    const size_t bytes =
        (mode == Mode::kUnary ? kUnaryElements : kElements) * 8;
    std::vector<uint8_t> y(x_.begin(), x_.begin() + bytes);
    ASSERT_TRUE(Call(Rpc::kApplyInPlace, mode, y, {}, absl::MakeSpan(y)).ok());
    EXPECT_TRUE(StartsWith(relu_, y));
    std::vector<uint8_t> h(g_.begin(), g_.begin() + bytes);
    ASSERT_TRUE(
        Call(Rpc::kGradient, mode, Prefix(x_, bytes), h, absl::MakeSpan(h))
            .ok());
    EXPECT_TRUE(StartsWith(gradient_, h));
  }
}

TEST_F(CallIntoTest, RejectsBuffersOfOtherSizes) {
  std::vector<uint8_t> short_out(792), out(800);
  const absl::Span<const uint8_t> x = Prefix(x_, 800);
  EXPECT_EQ(
      Call(Rpc::kApply, Mode::kUnary, x, {}, absl::MakeSpan(short_out)).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Call(Rpc::kGradient, Mode::kStream, x, Prefix(g_, 792),
                 absl::MakeSpan(out))
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Call(Rpc::kApply, Mode::kUnary, x, Prefix(g_, 800), absl::MakeSpan(out))
          .code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tensor_transform::client
