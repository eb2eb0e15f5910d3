// Properties that hold whatever the reference says, on random inputs with a
// fixed, printed seed: relu(x) >= 0 or NaN, relu is idempotent, ReluInPlace
// equals Relu, and every method agrees with every other.
#include <cstring>
#include <random>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/relu.h"
#include "gtest/gtest.h"
#include "tests/core/test_data.h"

namespace tensor_transform::core::testing {
namespace {

constexpr size_t kElements = 4099;

class ReluProperty
    : public ::testing::TestWithParam<std::tuple<Method, DType>> {
 protected:
  void SetUp() override {
    std::tie(method_, dtype_) = GetParam();
    std::mt19937_64 rng(kSeed);
    FillInput(x_.data(), kElements, dtype_, rng);
    ASSERT_TRUE(Relu(method_, dtype_, x_.Elements(0, kElements),
                     y_.Elements(0, kElements))
                    .ok());
  }

  Method method_;
  DType dtype_;
  ElementBuffer x_{std::get<1>(GetParam()), kElements};
  ElementBuffer y_{std::get<1>(GetParam()), kElements};
};

TEST_P(ReluProperty, IsNonNegativeOrNan) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  for (size_t i = 0; i < kElements; ++i) {
    const uint64_t y = GetBits(y_.data(), dtype_, i);
    // Non-negative with a clear sign bit: -0 is not a valid result.
    ASSERT_TRUE(!SignBit(dtype_, y) || IsNanBits(dtype_, y))
        << "element " << i << ": 0x" << absl::StrCat(absl::Hex(y)) << " from 0x"
        << absl::StrCat(absl::Hex(GetBits(x_.data(), dtype_, i)));
  }
}

TEST_P(ReluProperty, IsIdempotent) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  ElementBuffer yy(dtype_, kElements);
  ASSERT_TRUE(Relu(method_, dtype_, y_.Elements(0, kElements),
                   yy.Elements(0, kElements))
                  .ok());
  EXPECT_TRUE(SameBits(dtype_, yy.data(), y_.data(), kElements, y_.data()));
}

TEST_P(ReluProperty, InPlaceEqualsOutOfPlace) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  ElementBuffer z(dtype_, kElements);
  std::memcpy(z.data(), x_.data(), z.size());
  ASSERT_TRUE(ReluInPlace(method_, dtype_, z.Elements(0, kElements)).ok());
  EXPECT_TRUE(SameBits(dtype_, z.data(), y_.data(), kElements, x_.data()));
}

TEST_P(ReluProperty, AgreesWithMaximumMethod) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  ElementBuffer z(dtype_, kElements);
  ASSERT_TRUE(Relu(Method::kMaximum, dtype_, x_.Elements(0, kElements),
                   z.Elements(0, kElements))
                  .ok());
  EXPECT_TRUE(SameBits(dtype_, y_.data(), z.data(), kElements, x_.data()));
}

INSTANTIATE_TEST_SUITE_P(AllMethodsAndDTypes, ReluProperty,
                         ::testing::Combine(::testing::ValuesIn(kAllMethods),
                                            ::testing::ValuesIn(kAllDTypes)),
                         [](const auto& info) {
                           return CaseName(std::get<0>(info.param),
                                           std::get<1>(info.param));
                         });

// gradient(x) is 1 or +0, and gradient(x, 1) == gradient(x).
class GradientProperty : public ::testing::TestWithParam<DType> {};

TEST_P(GradientProperty, IsOneOrZeroAndUnitUpstreamChangesNothing) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  const DType dtype = GetParam();
  const uint64_t one = OneBits(dtype);
  std::mt19937_64 rng(kSeed);
  ElementBuffer x(dtype, kElements), ones(dtype, kElements),
      plain(dtype, kElements), scaled(dtype, kElements);
  FillInput(x.data(), kElements, dtype, rng);
  for (size_t i = 0; i < kElements; ++i) PutBits(ones.data(), dtype, i, one);
  const auto all = [](ElementBuffer& b) { return b.Elements(0, kElements); };
  ASSERT_TRUE(ReluGradient(dtype, all(x), {}, all(plain)).ok());
  for (size_t i = 0; i < kElements; ++i) {
    const uint64_t bits = GetBits(plain.data(), dtype, i);
    ASSERT_TRUE(bits == 0 || bits == one)
        << "element " << i << ": 0x" << absl::StrCat(absl::Hex(bits));
  }
  ASSERT_TRUE(ReluGradient(dtype, all(x), all(ones), all(scaled)).ok());
  EXPECT_TRUE(
      SameBits(dtype, scaled.data(), plain.data(), kElements, x.data()));
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, GradientProperty,
                         ::testing::ValuesIn(kAllDTypes),
                         [](const auto& info) { return CaseName(info.param); });

}  // namespace
}  // namespace tensor_transform::core::testing
