// Inputs and bitwise checks shared by the core tests.
//
//   std::mt19937_64 rng(kSeed);
//   ElementBuffer x(DType::kFloat16, 100);
//   FillInput(x.data(), 100, DType::kFloat16, rng);
#ifndef TENSOR_TRANSFORM_TESTS_CORE_TEST_DATA_H_
#define TENSOR_TRANSFORM_TESTS_CORE_TEST_DATA_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "core/types.h"
#include "gtest/gtest.h"

namespace tensor_transform::core {

// Names instead of bytes in gtest's parameter printouts (found by ADL).
void PrintTo(DType dtype, std::ostream* os);
void PrintTo(Method method, std::ostream* os);

}  // namespace tensor_transform::core

namespace tensor_transform::core::testing {

// Fixed so that a failure reproduces; tests print it in their traces.
inline constexpr uint64_t kSeed = 0x7E2024ULL;

// Lengths around a SIMD batch of `width` elements: {0, 1, W-1, W, W+1, 2W+1,
// 8W+2} and a large odd length (several stack-scratch chunks of every dtype,
// core/stack_scratch.h), without repeats.
std::vector<size_t> Lengths(size_t width);

// Byte offsets of a buffer from a 64-byte boundary: 0, the misalignments
// {1, 2, 3, 5, 7} (not whole elements of most dtypes, as a received slice
// may start), and 1 and 3 whole elements of `dtype` (aligned to the element
// but not to a register: streaming stores then need a head), without
// repeats.
std::vector<size_t> ByteOffsets(DType dtype);

// Zeroed bytes for `elements` elements of `dtype`, aligned to 64 bytes so that
// an offset of k bytes gives the same misalignment against every SIMD width
// on every run.
class ElementBuffer {
 public:
  ElementBuffer(DType dtype, size_t elements);
  uint8_t* data() { return bytes_.get(); }
  size_t size() const { return size_; }
  // The bytes of elements [first, first + count).
  absl::Span<uint8_t> Elements(size_t first, size_t count);
  // The bytes of `count` elements from byte `offset` on (any offset).
  absl::Span<uint8_t> At(size_t offset, size_t count);

 private:
  struct AlignedDelete {
    void operator()(uint8_t* p) const;
  };
  size_t item_;
  size_t size_;
  std::unique_ptr<uint8_t[], AlignedDelete> bytes_;
};

// The special values of `dtype` as bit patterns (low ItemSize bytes): for
// floats +-0, +-inf, quiet and signalling NaNs of both signs, NaNs with a
// payload, +-denorm_min, +-min normal, max, lowest, +-1 and neighbours; for
// ints min, min + 1, -1, 0, 1, max.
std::vector<uint64_t> SpecialBits(DType dtype);

// Writes bits' low ItemSize(dtype) bytes, little-endian, at element i.
void PutBits(uint8_t* data, DType dtype, size_t i, uint64_t bits);
uint64_t GetBits(const uint8_t* data, DType dtype, size_t i);

// Classifies bit patterns without the code under test: the sign bit (for ints,
// negative) and, for the float dtypes, NaN.
bool SignBit(DType dtype, uint64_t bits);
bool IsNanBits(DType dtype, uint64_t bits);

// The bits of 1 in `dtype`.
uint64_t OneBits(DType dtype);

// Random bits (so every class of value appears, NaNs of both signs and
// subnormals included), with about one element in four replaced by a special
// value, so those land in every SIMD lane and in the scalar head and tail.
void FillInput(uint8_t* data, size_t n, DType dtype, std::mt19937_64& rng);

// Success when a and b hold the same n elements bit for bit; otherwise names
// the first differing element and both bit patterns (and the input's, if
// given).
::testing::AssertionResult SameBits(DType dtype, const uint8_t* actual,
                                    const uint8_t* expected, size_t n,
                                    const uint8_t* input = nullptr);

// Success when `count` bytes starting at `data` all equal kSentinelByte.
inline constexpr uint8_t kSentinelByte = 0xA5;
::testing::AssertionResult SentinelIntact(const uint8_t* data, size_t count);

// "float16/abs"-style names for parameterized tests.
std::string CaseName(DType dtype);
std::string CaseName(Method method, DType dtype);

}  // namespace tensor_transform::core::testing

#endif  // TENSOR_TRANSFORM_TESTS_CORE_TEST_DATA_H_
