#include "client/data/generator.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

TEST(GeneratorTest, Float64IsUniformInHalfOpenRangeAndDeterministic) {
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

TEST(GeneratorTest, HalfPrecisionMatchesFloat32Rounding) {
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

template <typename T>
std::vector<T> Elements(const std::string& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

TEST(GeneratorTest, ParsesDistributions) {
  for (Distribution d : {Distribution::kUniform, Distribution::kNormal,
                         Distribution::kSpecial}) {
    EXPECT_EQ(ParseDistribution(DistributionName(d)), d);
  }
  EXPECT_FALSE(ParseDistribution("gaussian").has_value());
}

TEST(GeneratorTest, NormalIsCenteredAndDeterministic) {
  const std::string x =
      GenerateTensor(core::DType::kFloat64, 20000, Distribution::kNormal, 3);
  EXPECT_EQ(x, GenerateTensor(core::DType::kFloat64, 20000,
                              Distribution::kNormal, 3));
  double sum = 0, squares = 0;
  for (double v : Elements<double>(x)) {
    sum += v;
    squares += v * v;
  }
  EXPECT_NEAR(sum / 20000, 0, 0.05);
  EXPECT_NEAR(squares / 20000, 1, 0.05);
  const std::string ints =
      GenerateTensor(core::DType::kInt8, 20000, Distribution::kNormal, 3);
  int beyond_half = 0;
  for (int8_t v : Elements<int8_t>(ints)) beyond_half += std::abs(v) > 63;
  EXPECT_LT(beyond_half, 20);  // sigma is max/8: |v| > 4 sigma is rare
}

TEST(GeneratorTest, SpecialMixesEveryEdgeCaseIntoEveryDType) {
  for (core::DType dtype : core::kAllDTypes) {
    const size_t item = core::ItemSize(dtype);
    const std::string x =
        GenerateTensor(dtype, 4000, Distribution::kSpecial, 11);
    ASSERT_EQ(x.size(), 4000 * item);
    EXPECT_EQ(x, GenerateTensor(dtype, 4000, Distribution::kSpecial, 11));
    std::set<uint64_t> seen;
    for (size_t i = 0; i < 4000; ++i) {
      uint64_t bits = 0;
      std::memcpy(&bits, x.data() + i * item, item);
      seen.insert(bits);
    }
    for (uint64_t special : SpecialValues(dtype)) {
      EXPECT_TRUE(seen.count(special))
          << core::DTypeName(dtype) << " lacks 0x" << std::hex << special;
    }
  }
}

TEST(GeneratorTest, SpecialFloat64HoldsTheNamedValues) {
  const std::vector<uint64_t> values = SpecialValues(core::DType::kFloat64);
  auto has = [&](uint64_t bits) {
    return std::find(values.begin(), values.end(), bits) != values.end();
  };
  EXPECT_TRUE(has(0x7ff8000000000001));  // quiet NaN with a payload
  EXPECT_TRUE(has(0xfff8000000000001));  // negative NaN
  EXPECT_TRUE(has(0x7ff0000000000001));  // signalling NaN
  EXPECT_TRUE(has(0xfff0000000000000));  // -inf
  EXPECT_TRUE(has(0x8000000000000000));  // -0.0
  EXPECT_TRUE(has(0x0000000000000001));  // smallest subnormal
  EXPECT_TRUE(has(0x7fefffffffffffff));  // largest finite
  const std::vector<uint64_t> ints = SpecialValues(core::DType::kInt16);
  EXPECT_NE(std::find(ints.begin(), ints.end(), 0x8000), ints.end());
  EXPECT_NE(std::find(ints.begin(), ints.end(), 0x7fff), ints.end());
  EXPECT_NE(std::find(ints.begin(), ints.end(), 0xffff), ints.end());
}

}  // namespace
}  // namespace tensor_transform::client
