// The reference checked against bit patterns written out by hand from the
// contract, so that it cannot be wrong silently; the fast paths are checked on
// the same rows.
#include "core/reference.h"

#include <cstdint>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "core/relu.h"
#include "gtest/gtest.h"
#include "tests/core/test_data.h"

namespace tensor_transform::core::testing {
namespace {

struct Row {
  const char* name;
  DType dtype;
  uint64_t x;
  uint64_t relu;      // relu(x)
  uint64_t gradient;  // gradient(x)
  uint64_t g;         // an upstream gradient
  uint64_t relu_g;    // gradient(x, g)
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

constexpr DType kF32 = DType::kFloat32, kF64 = DType::kFloat64,
                kF16 = DType::kFloat16, kBF16 = DType::kBFloat16;

// g is chosen so that a kernel passing g through a float operation would be
// caught: -0, a negative value, NaNs with payloads.
constexpr Row kRows[] = {
    // float32: 1.0 = 0x3F800000
    {"f32_pos_zero", kF32, 0x00000000, 0, 0, 0xC0000000, 0},
    {"f32_neg_zero", kF32, 0x80000000, 0, 0, 0xC0000000, 0},
    {"f32_neg_inf", kF32, 0xFF800000, 0, 0, 0xC0000000, 0},
    {"f32_pos_inf", kF32, 0x7F800000, 0x7F800000, 0x3F800000, 0xC0000000,
     0xC0000000},
    {"f32_neg_qnan_payload", kF32, 0xFFC0BEEF, 0xFFC0BEEF, 0, 0x3F800000, 0},
    {"f32_pos_snan", kF32, 0x7F800001, 0x7F800001, 0, 0x3F800000, 0},
    {"f32_neg_snan", kF32, 0xFF800001, 0xFF800001, 0, 0x3F800000, 0},
    {"f32_max", kF32, 0x7F7FFFFF, 0x7F7FFFFF, 0x3F800000, 0x80000000,
     0x80000000},
    {"f32_lowest", kF32, 0xFF7FFFFF, 0, 0, 0x3F800000, 0},
    {"f32_denorm_min", kF32, 0x00000001, 0x00000001, 0x3F800000, 0xFFC00001,
     0xFFC00001},
    {"f32_neg_denorm_min", kF32, 0x80000001, 0, 0, 0xFFC00001, 0},
    {"f32_one", kF32, 0x3F800000, 0x3F800000, 0x3F800000, 0x80000000,
     0x80000000},
    {"f32_neg_one", kF32, 0xBF800000, 0, 0, 0x7F800001, 0},
    // float64: 1.0 = 0x3FF0000000000000
    {"f64_neg_zero", kF64, 0x8000000000000000, 0, 0, 0xC000000000000000, 0},
    {"f64_neg_inf", kF64, 0xFFF0000000000000, 0, 0, 0xC000000000000000, 0},
    {"f64_neg_qnan_payload", kF64, 0xFFF80000DEADBEEF, 0xFFF80000DEADBEEF, 0,
     0x3FF0000000000000, 0},
    {"f64_pos_snan", kF64, 0x7FF0000000000001, 0x7FF0000000000001, 0,
     0x3FF0000000000000, 0},
    {"f64_max", kF64, 0x7FEFFFFFFFFFFFFF, 0x7FEFFFFFFFFFFFFF,
     0x3FF0000000000000, 0x8000000000000000, 0x8000000000000000},
    {"f64_lowest", kF64, 0xFFEFFFFFFFFFFFFF, 0, 0, 0x3FF0000000000000, 0},
    {"f64_denorm_min", kF64, 0x0000000000000001, 0x0000000000000001,
     0x3FF0000000000000, 0xFFF8000000000001, 0xFFF8000000000001},
    {"f64_neg_denorm_min", kF64, 0x8000000000000001, 0, 0, 0x3FF0000000000000,
     0},
    {"f64_neg_one", kF64, 0xBFF0000000000000, 0, 0, 0x3FF0000000000000, 0},
    // float16: 1.0 = 0x3C00, inf = 0x7C00, max = 0x7BFF
    {"f16_neg_zero", kF16, 0x8000, 0, 0, 0xC000, 0},
    {"f16_neg_inf", kF16, 0xFC00, 0, 0, 0xC000, 0},
    {"f16_pos_inf", kF16, 0x7C00, 0x7C00, 0x3C00, 0xC000, 0xC000},
    {"f16_neg_nan_payload", kF16, 0xFE01, 0xFE01, 0, 0x3C00, 0},
    {"f16_pos_snan", kF16, 0x7C01, 0x7C01, 0, 0x3C00, 0},
    {"f16_max", kF16, 0x7BFF, 0x7BFF, 0x3C00, 0x8000, 0x8000},
    {"f16_lowest", kF16, 0xFBFF, 0, 0, 0x3C00, 0},
    {"f16_denorm_min", kF16, 0x0001, 0x0001, 0x3C00, 0xFE01, 0xFE01},
    {"f16_neg_denorm_min", kF16, 0x8001, 0, 0, 0x3C00, 0},
    // bfloat16: 1.0 = 0x3F80, inf = 0x7F80, max = 0x7F7F
    {"bf16_neg_zero", kBF16, 0x8000, 0, 0, 0xC000, 0},
    {"bf16_neg_inf", kBF16, 0xFF80, 0, 0, 0xC000, 0},
    {"bf16_neg_qnan_payload", kBF16, 0xFFC1, 0xFFC1, 0, 0x3F80, 0},
    {"bf16_pos_snan", kBF16, 0x7F81, 0x7F81, 0, 0x3F80, 0},
    {"bf16_max", kBF16, 0x7F7F, 0x7F7F, 0x3F80, 0x8000, 0x8000},
    {"bf16_denorm_min", kBF16, 0x0001, 0x0001, 0x3F80, 0xFFC1, 0xFFC1},
    {"bf16_neg_two", kBF16, 0xC000, 0, 0, 0x3F80, 0},
    // ints: gradient 1 where x > 0
    {"i8_min", DType::kInt8, 0x80, 0, 0, 0x7F, 0},
    {"i8_minus_one", DType::kInt8, 0xFF, 0, 0, 0x7F, 0},
    {"i8_zero", DType::kInt8, 0x00, 0, 0, 0x7F, 0},
    {"i8_one", DType::kInt8, 0x01, 0x01, 0x01, 0x80, 0x80},
    {"i8_max", DType::kInt8, 0x7F, 0x7F, 0x01, 0xFF, 0xFF},
    {"i16_min", DType::kInt16, 0x8000, 0, 0, 0x7FFF, 0},
    {"i16_max", DType::kInt16, 0x7FFF, 0x7FFF, 0x0001, 0x8000, 0x8000},
    {"i32_min", DType::kInt32, 0x80000000, 0, 0, 0x7FFFFFFF, 0},
    {"i32_max", DType::kInt32, 0x7FFFFFFF, 0x7FFFFFFF, 1, 0x80000000,
     0x80000000},
    {"i64_min", DType::kInt64, 0x8000000000000000, 0, 0, 1, 0},
    {"i64_minus_one", DType::kInt64, 0xFFFFFFFFFFFFFFFF, 0, 0, 1, 0},
    {"i64_max", DType::kInt64, 0x7FFFFFFFFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 1,
     0x8000000000000000, 0x8000000000000000},
};

// The row's value repeated over enough elements to reach the SIMD body of
// every kernel as well as its scalar head and tail.
constexpr size_t kCopies = 35;

struct Filled {
  Filled(DType dtype, uint64_t bits)
      : dtype(dtype),
        buffer(dtype, kCopies),
        span(buffer.Elements(0, kCopies)) {
    for (size_t i = 0; i < kCopies; ++i) PutBits(span.data(), dtype, i, bits);
  }
  // Success when every element holds `want`.
  ::testing::AssertionResult Holds(uint64_t want) const {
    for (size_t i = 0; i < kCopies; ++i) {
      const uint64_t got = GetBits(span.data(), dtype, i);
      if (got != want) {
        return ::testing::AssertionFailure()
               << "element " << i << ": got 0x" << absl::StrCat(absl::Hex(got))
               << ", want 0x" << absl::StrCat(absl::Hex(want));
      }
    }
    return ::testing::AssertionSuccess();
  }
  DType dtype;
  ElementBuffer buffer;
  absl::Span<uint8_t> span;
};

class HandWrittenRow : public ::testing::TestWithParam<Row> {};

TEST_P(HandWrittenRow, ReferenceGivesExpectedBits) {
  const Row& row = GetParam();
  const Filled x(row.dtype, row.x), g(row.dtype, row.g);
  Filled relu(row.dtype, ~row.relu);
  ReferenceRelu(row.dtype, x.span.data(), relu.span.data(), kCopies);
  EXPECT_TRUE(relu.Holds(row.relu)) << "relu";
  Filled gradient(row.dtype, ~row.gradient);
  ReferenceGradient(row.dtype, x.span.data(), nullptr, gradient.span.data(),
                    kCopies);
  EXPECT_TRUE(gradient.Holds(row.gradient)) << "gradient";
  Filled out(row.dtype, ~row.relu_g);
  ReferenceGradient(row.dtype, x.span.data(), g.span.data(), out.span.data(),
                    kCopies);
  EXPECT_TRUE(out.Holds(row.relu_g)) << "gradient with upstream";
}

TEST_P(HandWrittenRow, EveryMethodGivesExpectedBits) {
  const Row& row = GetParam();
  const Filled x(row.dtype, row.x), g(row.dtype, row.g);
  for (Method method : kAllMethods) {
    Filled out(row.dtype, ~row.relu);
    ASSERT_TRUE(Relu(method, row.dtype, x.span, out.span).ok());
    EXPECT_TRUE(out.Holds(row.relu)) << MethodName(method);
  }
  Filled out(row.dtype, ~row.gradient);
  ASSERT_TRUE(ReluGradient(row.dtype, x.span, {}, out.span).ok());
  EXPECT_TRUE(out.Holds(row.gradient)) << "gradient";
  Filled out_g(row.dtype, ~row.relu_g);
  ASSERT_TRUE(ReluGradient(row.dtype, x.span, g.span, out_g.span).ok());
  EXPECT_TRUE(out_g.Holds(row.relu_g)) << "gradient with upstream";
}

INSTANTIATE_TEST_SUITE_P(SpecialValues, HandWrittenRow,
                         ::testing::ValuesIn(kRows), [](const auto& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace tensor_transform::core::testing
