// Differential tests: every method and dtype, at every length, input offset,
// placement of the output and kernel variant (instruction set, stores,
// threads), bit for bit against the scalar reference, with sentinels around
// the output to catch overruns.
#include "core/relu.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/reference.h"
#include "gtest/gtest.h"
#include "tests/core/kernel_variants.h"
#include "tests/core/test_data.h"

namespace tensor_transform::core::testing {
namespace {

constexpr size_t kSentinelElements = 5;

enum class Placement {
  kOutOfPlace,  // out is its own buffer
  kInPlace,     // ReluInPlace(x)
  kOutIsX,      // Relu(x, out) with out exactly x
  kOutIsUpstream,
};

constexpr Placement kReluPlacements[] = {
    Placement::kOutOfPlace, Placement::kInPlace, Placement::kOutIsX};
constexpr Placement kGradientPlacements[] = {
    Placement::kOutOfPlace, Placement::kOutIsX, Placement::kOutIsUpstream};

const char* PlacementName(Placement placement) {
  switch (placement) {
    case Placement::kOutOfPlace:
      return "out of place";
    case Placement::kInPlace:
      return "in place";
    case Placement::kOutIsX:
      return "out is x";
    case Placement::kOutIsUpstream:
      return "out is upstream";
  }
  return "?";
}

// An output of n elements at `offset` in a buffer filled with sentinels.
struct Output {
  Output(DType dtype, size_t offset, size_t n)
      : buffer(dtype, offset + n + kSentinelElements),
        bytes(buffer.Elements(offset, n)) {
    std::memset(buffer.data(), kSentinelByte, buffer.size());
  }
  // Fills the output with `source` (its size), for the aliasing placements.
  void CopyFrom(const absl::Span<const uint8_t> source) {
    std::memcpy(bytes.data(), source.data(), source.size());
  }
  ::testing::AssertionResult SentinelsIntact() {
    const size_t before = static_cast<size_t>(bytes.data() - buffer.data());
    const size_t after = buffer.size() - before - bytes.size();
    auto head = SentinelIntact(buffer.data(), before);
    if (!head) return head << " before the output";
    return SentinelIntact(bytes.data() + bytes.size(), after)
           << " after the output";
  }
  ElementBuffer buffer;
  absl::Span<uint8_t> bytes;
};

// n random elements at `offset` in their own buffer, never written by a call.
struct Input {
  Input(DType dtype, size_t offset, size_t n, std::mt19937_64& rng)
      : buffer(dtype, offset + n), bytes(buffer.Elements(offset, n)) {
    FillInput(bytes.data(), n, dtype, rng);
    original.assign(bytes.begin(), bytes.end());
  }
  bool Unchanged() const {
    return std::equal(bytes.begin(), bytes.end(), original.begin());
  }
  ElementBuffer buffer;
  absl::Span<uint8_t> bytes;
  std::vector<uint8_t> original;
};

class ReluMatchesReference
    : public ::testing::TestWithParam<std::tuple<Method, DType>> {
 protected:
  void Check(size_t n, size_t offset, Placement placement,
             const KernelOptions& options, std::mt19937_64& rng) {
    const auto [method, dtype] = GetParam();
    Input x(dtype, offset, n, rng);
    ElementBuffer expected(dtype, n);
    ReferenceRelu(dtype, x.bytes.data(), expected.data(), n);
    Output out(dtype, offset, n);
    absl::Status s;
    if (placement == Placement::kOutOfPlace) {
      s = Relu(method, dtype, x.bytes, out.bytes, options);
    } else {
      out.CopyFrom(x.bytes);
      s = placement == Placement::kInPlace
              ? ReluInPlace(method, dtype, out.bytes, options)
              : Relu(method, dtype, out.bytes, out.bytes, options);
    }
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_TRUE(
        SameBits(dtype, out.bytes.data(), expected.data(), n, x.bytes.data()));
    EXPECT_TRUE(out.SentinelsIntact());
    EXPECT_TRUE(x.Unchanged());
  }
};

TEST_P(ReluMatchesReference, AtEveryLengthOffsetPlacementAndVariant) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  std::mt19937_64 rng(kSeed);
  for (const KernelVariant& variant : KernelVariants(std::get<1>(GetParam()))) {
    for (size_t n : kLengths) {
      for (size_t offset : kOffsets) {
        for (Placement placement : kReluPlacements) {
          SCOPED_TRACE(absl::StrCat(variant.name, ", n ", n, ", offset ",
                                    offset, ", ", PlacementName(placement)));
          Check(n, offset, placement, variant.options, rng);
          if (HasFailure()) return;  // one report is enough
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethodsAndDTypes, ReluMatchesReference,
                         ::testing::Combine(::testing::ValuesIn(kAllMethods),
                                            ::testing::ValuesIn(kAllDTypes)),
                         [](const auto& info) {
                           return CaseName(std::get<0>(info.param),
                                           std::get<1>(info.param));
                         });

class GradientMatchesReference : public ::testing::TestWithParam<DType> {
 protected:
  void Check(size_t n, size_t offset, bool with_upstream, Placement placement,
             const KernelOptions& options, std::mt19937_64& rng) {
    const DType dtype = GetParam();
    Input x(dtype, offset, n, rng);
    Input g(dtype, offset, n, rng);
    const absl::Span<const uint8_t> upstream =
        with_upstream ? absl::Span<const uint8_t>(g.bytes)
                      : absl::Span<const uint8_t>();
    ElementBuffer expected(dtype, n);
    ReferenceGradient(dtype, x.bytes.data(),
                      with_upstream ? g.bytes.data() : nullptr, expected.data(),
                      n);
    Output out(dtype, offset, n);
    absl::Status s;
    switch (placement) {
      case Placement::kOutIsX:
        out.CopyFrom(x.bytes);
        s = ReluGradient(dtype, out.bytes, upstream, out.bytes, options);
        break;
      case Placement::kOutIsUpstream:
        out.CopyFrom(g.bytes);
        s = ReluGradient(dtype, x.bytes, out.bytes, out.bytes, options);
        break;
      default:
        s = ReluGradient(dtype, x.bytes, upstream, out.bytes, options);
    }
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_TRUE(
        SameBits(dtype, out.bytes.data(), expected.data(), n, x.bytes.data()));
    EXPECT_TRUE(out.SentinelsIntact());
    EXPECT_TRUE(x.Unchanged() && g.Unchanged());
  }
};

TEST_P(GradientMatchesReference, WithAndWithoutUpstreamAtEveryPlacement) {
  SCOPED_TRACE(absl::StrCat("seed ", kSeed));
  std::mt19937_64 rng(kSeed);
  for (const KernelVariant& variant : KernelVariants(GetParam())) {
    for (size_t n : kLengths) {
      for (size_t offset : kOffsets) {
        for (bool with_upstream : {false, true}) {
          for (Placement placement : kGradientPlacements) {
            // Without upstream there is no upstream buffer to write into.
            if (!with_upstream && placement == Placement::kOutIsUpstream) {
              continue;
            }
            SCOPED_TRACE(
                absl::StrCat(variant.name, ", n ", n, ", offset ", offset,
                             with_upstream ? ", upstream, " : ", no upstream, ",
                             PlacementName(placement)));
            Check(n, offset, with_upstream, placement, variant.options, rng);
            if (HasFailure()) return;
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, GradientMatchesReference,
                         ::testing::ValuesIn(kAllDTypes),
                         [](const auto& info) { return CaseName(info.param); });

}  // namespace
}  // namespace tensor_transform::core::testing
