#include "tests/core/test_data.h"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <new>

#include "absl/strings/str_cat.h"

namespace tensor_transform::core {

void PrintTo(DType dtype, std::ostream* os) { *os << DTypeName(dtype); }
void PrintTo(Method method, std::ostream* os) { *os << MethodName(method); }

}  // namespace tensor_transform::core

namespace tensor_transform::core::testing {
namespace {

constexpr std::align_val_t kAlignment{64};

// Prints the seed once per run, so that a failure seen in a log reproduces.
class SeedPrinter : public ::testing::Environment {
 public:
  void SetUp() override {
    std::cout << "core tests: random inputs from seed 0x" << std::hex << kSeed
              << std::dec << "\n";
  }
};
const ::testing::Environment* const kSeedPrinter =
    ::testing::AddGlobalTestEnvironment(new SeedPrinter);

uint64_t LowBits(int width) {
  return width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
}

// Both signs of every interesting magnitude of an IEEE-style binary format
// with `width` bits of which `mantissa` are the fraction.
std::vector<uint64_t> FloatSpecials(int width, int mantissa) {
  const int exponent = width - 1 - mantissa;
  const uint64_t sign = uint64_t{1} << (width - 1);
  const uint64_t fraction = LowBits(mantissa);
  const uint64_t inf = LowBits(exponent) << mantissa;
  const uint64_t bias = LowBits(exponent - 1);
  const uint64_t one = bias << mantissa;
  const uint64_t magnitudes[] = {
      0,                                         // zero
      inf,                                       // infinity
      inf | (uint64_t{1} << (mantissa - 1)),     // quiet NaN
      inf | 1,                                   // signalling NaN
      inf | (0xA5A5A5A5A5A5A5A5ULL & fraction),  // NaN with a payload
      1,                                         // denorm_min
      fraction,                                  // largest subnormal
      uint64_t{1} << mantissa,                   // smallest normal
      one - 1,                                   // 1 - ulp
      one,                                       // 1
      one + 1,                                   // 1 + ulp
      (bias - 1) << mantissa,                    // 0.5
      (bias + 1) << mantissa,                    // 2
      (2 * bias) << mantissa,                    // max / 2, about
      inf - 1,                                   // max
  };
  std::vector<uint64_t> bits;
  for (uint64_t m : magnitudes) {
    bits.push_back(m);
    bits.push_back(sign | m);
  }
  return bits;
}

std::vector<uint64_t> IntSpecials(int width) {
  const uint64_t mask = LowBits(width);
  const uint64_t min = uint64_t{1} << (width - 1);
  const uint64_t max = min - 1;
  return {min,     min + 1, mask /* -1 */, mask - 1 /* -2 */, 0, 1, 2,
          max - 1, max};
}

std::vector<size_t> WithoutRepeats(std::vector<size_t> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

}  // namespace

ElementBuffer::ElementBuffer(DType dtype, size_t elements)
    : item_(ItemSize(dtype)),
      size_(elements * item_),
      // One spare byte: a zero-sized allocation may not be dereferenced.
      bytes_(static_cast<uint8_t*>(::operator new[](size_ + 1, kAlignment))) {
  std::memset(bytes_.get(), 0, size_ + 1);
}

void ElementBuffer::AlignedDelete::operator()(uint8_t* p) const {
  ::operator delete[](p, kAlignment);
}

absl::Span<uint8_t> ElementBuffer::Elements(size_t first, size_t count) {
  return absl::Span<uint8_t>(data() + first * item_, count * item_);
}

absl::Span<uint8_t> ElementBuffer::At(size_t offset, size_t count) {
  return absl::Span<uint8_t>(data() + offset, count * item_);
}

std::vector<size_t> Lengths(size_t width) {
  const size_t w = width;
  return WithoutRepeats({0, 1, w - 1, w, w + 1, 2 * w + 1, 8 * w + 2, 20011});
}

std::vector<size_t> ByteOffsets(DType dtype) {
  const size_t item = ItemSize(dtype);
  return WithoutRepeats({0, 1, 2, 3, 5, 7, item, 3 * item});
}

std::vector<uint64_t> SpecialBits(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return FloatSpecials(32, 23);
    case DType::kFloat64:
      return FloatSpecials(64, 52);
    case DType::kFloat16:
      return FloatSpecials(16, 10);
    case DType::kBFloat16:
      return FloatSpecials(16, 7);
    default:
      return IntSpecials(static_cast<int>(8 * ItemSize(dtype)));
  }
}

void PutBits(uint8_t* data, DType dtype, size_t i, uint64_t bits) {
  const size_t item = ItemSize(dtype);
  for (size_t b = 0; b < item; ++b) {
    data[i * item + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
}

uint64_t GetBits(const uint8_t* data, DType dtype, size_t i) {
  const size_t item = ItemSize(dtype);
  uint64_t bits = 0;
  for (size_t b = 0; b < item; ++b) {
    bits |= uint64_t{data[i * item + b]} << (8 * b);
  }
  return bits;
}

bool SignBit(DType dtype, uint64_t bits) {
  return (bits >> (8 * ItemSize(dtype) - 1)) & 1;
}

bool IsNanBits(DType dtype, uint64_t bits) {
  switch (dtype) {
    case DType::kFloat32:
      return (bits & 0x7FFFFFFF) > 0x7F800000;
    case DType::kFloat64:
      return (bits & 0x7FFFFFFFFFFFFFFF) > 0x7FF0000000000000;
    case DType::kFloat16:
      return (bits & 0x7FFF) > 0x7C00;
    case DType::kBFloat16:
      return (bits & 0x7FFF) > 0x7F80;
    default:
      return false;
  }
}

uint64_t OneBits(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 0x3F800000;
    case DType::kFloat64:
      return 0x3FF0000000000000;
    case DType::kFloat16:
      return 0x3C00;
    case DType::kBFloat16:
      return 0x3F80;
    default:
      return 1;
  }
}

void FillInput(uint8_t* data, size_t n, DType dtype, std::mt19937_64& rng) {
  const std::vector<uint64_t> specials = SpecialBits(dtype);
  for (size_t i = 0; i < n; ++i) {
    uint64_t bits = rng();
    if (rng() % 4 == 0) bits = specials[rng() % specials.size()];
    PutBits(data, dtype, i, bits);
  }
}

::testing::AssertionResult SameBits(DType dtype, const uint8_t* actual,
                                    const uint8_t* expected, size_t n,
                                    const uint8_t* input) {
  const size_t item = ItemSize(dtype);
  if (n == 0 || std::memcmp(actual, expected, n * item) == 0) {
    return ::testing::AssertionSuccess();
  }
  size_t i = 0;
  while (std::memcmp(actual + i * item, expected + i * item, item) == 0) ++i;
  auto result = ::testing::AssertionFailure();
  result << DTypeName(dtype) << " element " << i << " of " << n << ": got 0x"
         << absl::StrCat(absl::Hex(GetBits(actual, dtype, i))) << ", want 0x"
         << absl::StrCat(absl::Hex(GetBits(expected, dtype, i)));
  if (input != nullptr) {
    result << ", input 0x" << absl::StrCat(absl::Hex(GetBits(input, dtype, i)));
  }
  return result;
}

::testing::AssertionResult SentinelIntact(const uint8_t* data, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (data[i] != kSentinelByte) {
      return ::testing::AssertionFailure()
             << "sentinel byte " << i << " overwritten with 0x"
             << absl::StrCat(absl::Hex(data[i]));
    }
  }
  return ::testing::AssertionSuccess();
}

std::string CaseName(DType dtype) { return std::string(DTypeName(dtype)); }

std::string CaseName(Method method, DType dtype) {
  return absl::StrCat(MethodName(method), "_", DTypeName(dtype));
}

}  // namespace tensor_transform::core::testing
