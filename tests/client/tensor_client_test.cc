// TensorClient::CallInto: calls on the caller's buffers, against an
// in-process server, compared bit for bit with the scalar reference.
#include "client/tensor_client.h"

#include <cstdint>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/reference.h"
#include "gtest/gtest.h"
#include "server/server.h"

namespace tensor_transform::client {
namespace {

constexpr int64_t kCap = int64_t{1} << 20;
constexpr size_t kElements = 3 * kCap / 8 + 5;  // streams above the cap

class CallIntoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.max_message_bytes = kCap;
    auto started = server::StartServer(config);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    client_ = std::make_unique<TensorClient>(
        MakeChannel(absl::StrCat("127.0.0.1:", server_->port())));
  }

  // Random float64 bit patterns: NaN, inf, -0 and subnormals occur.
  static std::vector<uint8_t> RandomBytes(size_t elements, uint32_t seed) {
    std::mt19937 random(seed);
    std::vector<uint8_t> bytes(elements * 8);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
    return bytes;
  }

  static CallSpec Spec(Rpc rpc, Mode mode, size_t elements) {
    return {rpc,
            std::nullopt,
            core::DType::kFloat64,
            {static_cast<int64_t>(elements)},
            mode,
            100'000};
  }

  std::unique_ptr<server::RunningServer> server_;
  std::unique_ptr<TensorClient> client_;
};

TEST_F(CallIntoTest, WritesTheResultIntoTheCallersBuffer) {
  const std::vector<uint8_t> x = RandomBytes(kElements, 1);
  const std::vector<uint8_t> g = RandomBytes(kElements, 2);
  std::vector<uint8_t> relu(x.size()), gradient(x.size());
  core::ReferenceRelu(core::DType::kFloat64, x.data(), relu.data(), kElements);
  core::ReferenceGradient(core::DType::kFloat64, x.data(), g.data(),
                          gradient.data(), kElements);
  for (const size_t elements : {size_t{1000}, kElements}) {
    const Mode mode = elements == kElements ? Mode::kStream : Mode::kUnary;
    std::vector<uint8_t> out(elements * 8);
    CallResult result;
    const absl::Span<const uint8_t> x_part(x.data(), out.size());
    ASSERT_TRUE(client_
                    ->CallInto(Spec(Rpc::kApply, mode, elements),
                               {x_part, {}, absl::MakeSpan(out)}, &result)
                    .ok());
    EXPECT_TRUE(std::equal(out.begin(), out.end(), relu.begin()));
    EXPECT_TRUE(result.data.empty());
    const absl::Span<const uint8_t> g_part(g.data(), out.size());
    ASSERT_TRUE(client_
                    ->CallInto(Spec(Rpc::kGradient, mode, elements),
                               {x_part, g_part, absl::MakeSpan(out)}, &result)
                    .ok());
    EXPECT_TRUE(std::equal(out.begin(), out.end(), gradient.begin()));
  }
}

TEST_F(CallIntoTest, ComputesInPlaceWhenOutIsTheInput) {
  const std::vector<uint8_t> x = RandomBytes(kElements, 3);
  const std::vector<uint8_t> g = RandomBytes(kElements, 4);
  std::vector<uint8_t> relu(x.size()), gradient(x.size());
  core::ReferenceRelu(core::DType::kFloat64, x.data(), relu.data(), kElements);
  core::ReferenceGradient(core::DType::kFloat64, x.data(), g.data(),
                          gradient.data(), kElements);
  for (const Mode mode : {Mode::kUnary, Mode::kStream}) {
    SCOPED_TRACE(ModeName(mode));
    const size_t elements = mode == Mode::kUnary ? 1000 : kElements;
    const size_t bytes = elements * 8;
    std::vector<uint8_t> y(x.begin(), x.begin() + bytes);
    CallResult result;
    ASSERT_TRUE(client_
                    ->CallInto(Spec(Rpc::kApplyInPlace, mode, elements),
                               {y, {}, absl::MakeSpan(y)}, &result)
                    .ok());
    EXPECT_TRUE(std::equal(y.begin(), y.end(), relu.begin()));
    std::vector<uint8_t> h(g.begin(), g.begin() + bytes);
    const absl::Span<const uint8_t> x_part(x.data(), bytes);
    ASSERT_TRUE(client_
                    ->CallInto(Spec(Rpc::kGradient, mode, elements),
                               {x_part, h, absl::MakeSpan(h)}, &result)
                    .ok());
    EXPECT_TRUE(std::equal(h.begin(), h.end(), gradient.begin()));
  }
}

TEST_F(CallIntoTest, RejectsBuffersOfOtherSizes) {
  std::vector<uint8_t> x(800), short_out(792), out(800), upstream(792);
  CallResult result;
  EXPECT_EQ(client_
                ->CallInto(Spec(Rpc::kApply, Mode::kUnary, 100),
                           {x, {}, absl::MakeSpan(short_out)}, &result)
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_
                ->CallInto(Spec(Rpc::kGradient, Mode::kStream, 100),
                           {x, upstream, absl::MakeSpan(out)}, &result)
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_
                ->CallInto(Spec(Rpc::kApply, Mode::kUnary, 100),
                           {x, x, absl::MakeSpan(out)}, &result)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tensor_transform::client
