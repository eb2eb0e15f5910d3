// Large arrays through the default options (split over the thread pool,
// streaming stores out of place) give the same bits as one thread with normal
// stores and as the scalar reference; and a forced instruction set the CPU
// lacks is refused.
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/reference.h"
#include "core/relu.h"
#include "gtest/gtest.h"
#include "tests/core/test_data.h"

namespace tensor_transform::core::testing {
namespace {

// Above the default thread threshold (2 MiB) for every dtype and the
// streaming threshold (16 MiB) for float64; odd, so the last part ends
// mid-batch; offset 1 so no part starts aligned.
constexpr size_t kElements = (size_t{2} << 20) + 5;
constexpr size_t kOffset = 1;

KernelOptions OneThreadNormalStores() {
  KernelOptions options;
  options.threads = 1;
  options.streaming_min_bytes = SIZE_MAX;
  return options;
}

// x and g filled with random elements, and two outputs, each kElements at
// kOffset in its own buffer.
struct LargeArrays {
  explicit LargeArrays(DType dtype)
      : dtype(dtype),
        x_buffer(dtype, kOffset + kElements),
        g_buffer(dtype, kOffset + kElements),
        serial_buffer(dtype, kOffset + kElements),
        parallel_buffer(dtype, kOffset + kElements),
        x(x_buffer.Elements(kOffset, kElements)),
        g(g_buffer.Elements(kOffset, kElements)),
        serial(serial_buffer.Elements(kOffset, kElements)),
        parallel(parallel_buffer.Elements(kOffset, kElements)) {
    std::mt19937_64 rng(kSeed);
    FillInput(x.data(), kElements, dtype, rng);
    FillInput(g.data(), kElements, dtype, rng);
  }
  ::testing::AssertionResult ParallelEqualsSerial() const {
    return SameBits(dtype, parallel.data(), serial.data(), kElements, x.data());
  }

  DType dtype;
  ElementBuffer x_buffer, g_buffer, serial_buffer, parallel_buffer;
  absl::Span<uint8_t> x, g, serial, parallel;
};

class LargeRelu : public ::testing::TestWithParam<std::tuple<Method, DType>> {};

TEST_P(LargeRelu, ParallelEqualsSerialAndReference) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  const auto [method, dtype] = GetParam();
  LargeArrays a(dtype);
  ASSERT_TRUE(Relu(method, dtype, a.x, a.serial, OneThreadNormalStores()).ok());
  ASSERT_TRUE(Relu(method, dtype, a.x, a.parallel).ok());
  EXPECT_TRUE(a.ParallelEqualsSerial());
  ReferenceRelu(dtype, a.x.data(), a.g.data(), kElements);
  EXPECT_TRUE(
      SameBits(dtype, a.serial.data(), a.g.data(), kElements, a.x.data()));
  // In place, split over the pool: the same bits again.
  ASSERT_TRUE(ReluInPlace(method, dtype, a.x).ok());
  EXPECT_TRUE(SameBits(dtype, a.x.data(), a.serial.data(), kElements));
}

INSTANTIATE_TEST_SUITE_P(AllMethodsAndDTypes, LargeRelu,
                         ::testing::Combine(::testing::ValuesIn(kAllMethods),
                                            ::testing::ValuesIn(kAllDTypes)),
                         [](const auto& info) {
                           return CaseName(std::get<0>(info.param),
                                           std::get<1>(info.param));
                         });

class LargeGradient : public ::testing::TestWithParam<DType> {};

TEST_P(LargeGradient, ParallelEqualsSerial) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  const DType dtype = GetParam();
  LargeArrays a(dtype);
  for (bool with_upstream : {false, true}) {
    SCOPED_TRACE(with_upstream ? "upstream" : "no upstream");
    const absl::Span<const uint8_t> g = with_upstream
                                            ? absl::Span<const uint8_t>(a.g)
                                            : absl::Span<const uint8_t>();
    ASSERT_TRUE(
        ReluGradient(dtype, a.x, g, a.serial, OneThreadNormalStores()).ok());
    ASSERT_TRUE(ReluGradient(dtype, a.x, g, a.parallel).ok());
    EXPECT_TRUE(a.ParallelEqualsSerial());
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, LargeGradient,
                         ::testing::ValuesIn(kAllDTypes),
                         [](const auto& info) { return CaseName(info.param); });

TEST(ForcedIsa, RunsWhenSupportedAndIsRefusedOtherwise) {
  std::vector<double> x = {-1.0, 2.0}, out(2);
  for (Isa isa : kAllIsas) {
    SCOPED_TRACE(IsaName(isa));
    KernelOptions options;
    options.isa = isa;
    const absl::Status s =
        Relu(Method::kMaximum, DType::kFloat64,
             {reinterpret_cast<const uint8_t*>(x.data()), 16},
             {reinterpret_cast<uint8_t*>(out.data()), 16}, options);
    if (IsaSupported(isa)) {
      EXPECT_TRUE(s.ok()) << s;
      EXPECT_EQ(out[1], 2.0);
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    }
  }
}

}  // namespace
}  // namespace tensor_transform::core::testing
