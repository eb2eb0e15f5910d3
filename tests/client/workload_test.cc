#include "client/workload.h"

#include <cstring>

#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

TEST(WorkloadTest, ParsesShapes) {
  EXPECT_EQ(*ParseShape("5000x5000"), (std::vector<int64_t>{5000, 5000}));
  EXPECT_EQ(*ParseShape("2,3,4"), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_TRUE(ParseShape("")->empty());
  EXPECT_EQ(ParseShape("5x-1").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseShape("5xa").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkloadTest, CountsElementsWithoutOverflow) {
  EXPECT_EQ(*ElementCount({}), 1);
  EXPECT_EQ(*ElementCount({5000, 5000}), 25'000'000);
  EXPECT_EQ(*ElementCount({0, 7}), 0);
  EXPECT_EQ(ElementCount({int64_t{1} << 32, int64_t{1} << 32}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WorkloadTest, Float64IsUniformInHalfOpenRangeAndDeterministic) {
  const std::string x = UniformTensor(core::DType::kFloat64, 10000, 7);
  ASSERT_EQ(x.size(), 80000u);
  EXPECT_EQ(x, UniformTensor(core::DType::kFloat64, 10000, 7));
  int negative = 0;
  for (size_t i = 0; i < 10000; ++i) {
    double v;
    std::memcpy(&v, x.data() + i * 8, 8);
    ASSERT_GE(v, -0.5);
    ASSERT_LT(v, 0.5);
    negative += v < 0;
  }
  EXPECT_GT(negative, 4000);
  EXPECT_LT(negative, 6000);
}

uint16_t First16(core::DType dtype, uint64_t seed) {
  const std::string x = UniformTensor(dtype, 1, seed);
  uint16_t bits;
  std::memcpy(&bits, x.data(), 2);
  return bits;
}

TEST(WorkloadTest, HalfPrecisionMatchesFloat32Rounding) {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const std::string wide = UniformTensor(core::DType::kFloat32, 1, seed);
    float v;
    std::memcpy(&v, wide.data(), 4);
    // bfloat16 widens exactly to float32; it must be within half an ulp.
    const uint32_t bf = uint32_t{First16(core::DType::kBFloat16, seed)} << 16;
    float back;
    std::memcpy(&back, &bf, 4);
    EXPECT_LE(std::abs(back - v), std::abs(v) * (1.0f / 256)) << seed;
    const uint16_t h = First16(core::DType::kFloat16, seed);
    EXPECT_EQ(h & 0x8000, v < 0 ? 0x8000 : 0) << seed;
    EXPECT_LT(h & 0x7FFF, 0x3800 + 1)
        << "|x| <= 0.5 in binary16, seed " << seed;
  }
}

}  // namespace
}  // namespace tensor_transform::client
