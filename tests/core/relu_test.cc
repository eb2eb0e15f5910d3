// Differential tests: every method and dtype, at every length around the SIMD
// width, byte offset of the buffers (misaligned ones included), placement of
// the output and kernel variant (instruction set, stores, threads), bit for
// bit against the scalar reference, with sentinels around the output to
// catch overruns.
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
  kOutOfPlace,         // out is its own buffer, at x's byte offset
  kOutOfPlaceShifted,  // out is its own buffer, at another byte offset
  kInPlace,            // ReluInPlace(x)
  kOutIsX,             // Relu(x, out) with out exactly x
  kOutIsUpstream,
};

constexpr Placement kReluPlacements[] = {
    Placement::kOutOfPlace, Placement::kOutOfPlaceShifted, Placement::kInPlace,
    Placement::kOutIsX};
constexpr Placement kGradientPlacements[] = {
    Placement::kOutOfPlace, Placement::kOutOfPlaceShifted, Placement::kOutIsX,
    Placement::kOutIsUpstream};

const char* PlacementName(Placement placement) {
  switch (placement) {
    case Placement::kOutOfPlace:
      return "out of place";
    case Placement::kOutOfPlaceShifted:
      return "out of place, shifted";
    case Placement::kInPlace:
      return "in place";
    case Placement::kOutIsX:
      return "out is x";
    case Placement::kOutIsUpstream:
      return "out is upstream";
  }
  return "?";
}

// Elements of `dtype` that cover `offset` bytes.
size_t ElementsCovering(DType dtype, size_t offset) {
  return (offset + ItemSize(dtype) - 1) / ItemSize(dtype);
}

// The byte offsets of x and of out: out's differs from x's (the next one in
// the list) only when the placement asks for it.
struct Offsets {
  size_t x;
  size_t out;
};

Offsets OffsetsFor(const std::vector<size_t>& offsets, size_t i,
                   Placement placement) {
  const size_t shifted = offsets[(i + 1) % offsets.size()];
  return {offsets[i],
          placement == Placement::kOutOfPlaceShifted ? shifted : offsets[i]};
}

// An output of n elements at byte `offset` in a buffer filled with
// sentinels.
struct Output {
  Output(DType dtype, size_t offset, size_t n)
      : buffer(dtype, ElementsCovering(dtype, offset) + n + kSentinelElements),
        bytes(buffer.At(offset, n)) {
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

// n random elements at byte `offset` in their own buffer, never written by a
// call.
struct Input {
  Input(DType dtype, size_t offset, size_t n, std::mt19937_64& rng)
      : buffer(dtype, ElementsCovering(dtype, offset) + n),
        bytes(buffer.At(offset, n)) {
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
  void Check(size_t n, Offsets offsets, Placement placement,
             const KernelOptions& options, std::mt19937_64& rng) {
    const auto [method, dtype] = GetParam();
    Input x(dtype, offsets.x, n, rng);
    ElementBuffer expected(dtype, n);
    ReferenceRelu(dtype, x.bytes.data(), expected.data(), n);
    Output out(dtype, offsets.out, n);
    absl::Status s;
    if (placement == Placement::kOutOfPlace ||
        placement == Placement::kOutOfPlaceShifted) {
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
  const DType dtype = std::get<1>(GetParam());
  const std::vector<size_t> offsets = ByteOffsets(dtype);
  for (const KernelVariant& variant : KernelVariants(dtype)) {
    for (size_t n : Lengths(variant.width)) {
      for (size_t i = 0; i < offsets.size(); ++i) {
        for (Placement placement : kReluPlacements) {
          const Offsets at = OffsetsFor(offsets, i, placement);
          SCOPED_TRACE(absl::StrCat(variant.name, ", n ", n, ", x at +", at.x,
                                    ", out at +", at.out, ", ",
                                    PlacementName(placement)));
          Check(n, at, placement, variant.options, rng);
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
  void Check(size_t n, Offsets offsets, bool with_upstream, Placement placement,
             const KernelOptions& options, std::mt19937_64& rng) {
    const DType dtype = GetParam();
    // g shares out's offset: in the shifted placement x's differs from both.
    Input x(dtype, offsets.x, n, rng);
    Input g(dtype, offsets.out, n, rng);
    const absl::Span<const uint8_t> upstream =
        with_upstream ? absl::Span<const uint8_t>(g.bytes)
                      : absl::Span<const uint8_t>();
    ElementBuffer expected(dtype, n);
    ReferenceGradient(dtype, x.bytes.data(),
                      with_upstream ? g.bytes.data() : nullptr, expected.data(),
                      n);
    Output out(dtype, offsets.out, n);
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
  const std::vector<size_t> offsets = ByteOffsets(GetParam());
  for (const KernelVariant& variant : KernelVariants(GetParam())) {
    for (size_t n : Lengths(variant.width)) {
      for (size_t i = 0; i < offsets.size(); ++i) {
        for (bool with_upstream : {false, true}) {
          for (Placement placement : kGradientPlacements) {
            // Without upstream there is no upstream buffer to write into.
            if (!with_upstream && placement == Placement::kOutIsUpstream) {
              continue;
            }
            const Offsets at = OffsetsFor(offsets, i, placement);
            SCOPED_TRACE(absl::StrCat(
                variant.name, ", n ", n, ", x at +", at.x, ", out at +", at.out,
                with_upstream ? ", upstream, " : ", no upstream, ",
                PlacementName(placement)));
            Check(n, at, with_upstream, placement, variant.options, rng);
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
