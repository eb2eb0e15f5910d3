#include "client/workload.h"

#include <cstring>
#include <limits>
#include <random>
#include <type_traits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tensor_transform::client {
namespace {

// Round-to-nearest-even float32 -> bfloat16 bits (inputs here are finite).
uint16_t ToBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

// Round-to-nearest-even float32 -> binary16 bits, for |value| < 65504.
uint16_t ToFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const float magnitude = std::abs(value);
  // Below 2^-14 binary16 is subnormal with a fixed step of 2^-24; adding
  // 0.5 rounds to that grid in float32's own arithmetic.
  if (magnitude < 6.103515625e-05f) {
    float scaled = magnitude + 0.5f;
    uint32_t grid;
    std::memcpy(&grid, &scaled, sizeof(grid));
    return sign | static_cast<uint16_t>(grid - 0x3F000000u);
  }
  uint32_t m;
  std::memcpy(&m, &magnitude, sizeof(m));
  m += 0x0FFF + ((m >> 13) & 1);  // round the 13 dropped mantissa bits
  return sign | static_cast<uint16_t>((m - 0x38000000u) >> 13);
}

template <typename T, typename Make>
std::string Generate(int64_t count, uint64_t seed, Make make) {
  std::string out(static_cast<size_t>(count) * sizeof(T), '\0');
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < count; ++i) {
    const T value = make(rng);
    std::memcpy(out.data() + i * sizeof(T), &value, sizeof(T));
  }
  return out;
}

template <typename T>
std::string UniformInt(int64_t count, uint64_t seed) {
  constexpr T kQuarter = std::numeric_limits<T>::max() / 2;
  std::uniform_int_distribution<int64_t> dist(-kQuarter - 1, kQuarter);
  return Generate<T>(count, seed, [&](std::mt19937_64& rng) {
    return static_cast<T>(dist(rng));
  });
}

template <typename T, typename Convert>
std::string UniformFloat(int64_t count, uint64_t seed, Convert convert) {
  std::uniform_real_distribution<double> dist(-0.5, 0.5);
  return Generate<T>(count, seed,
                     [&](std::mt19937_64& rng) { return convert(dist(rng)); });
}

}  // namespace

absl::StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shape[", i, "]: ", shape[i], ", but dimensions must be >= 0"));
    }
    if (__builtin_mul_overflow(count, shape[i], &count)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shape ", FormatShape(shape), " has more than 2^63 elements"));
    }
  }
  return count;
}

absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text) {
  std::vector<int64_t> shape;
  if (text.empty()) return shape;
  for (absl::string_view dim : absl::StrSplit(text, absl::ByAnyChar("x,"))) {
    int64_t value;
    if (!absl::SimpleAtoi(dim, &value) || value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--shape: '", text, "' has dim '", dim,
                       "', but dims are integers >= 0 joined by 'x'"));
    }
    shape.push_back(value);
  }
  return shape;
}

std::string FormatShape(const std::vector<int64_t>& shape) {
  return shape.empty() ? "scalar" : absl::StrJoin(shape, "x");
}

std::string UniformTensor(core::DType dtype, int64_t count, uint64_t seed) {
  switch (dtype) {
    case core::DType::kFloat64:
      return UniformFloat<double>(count, seed, [](double v) { return v; });
    case core::DType::kFloat32:
      return UniformFloat<float>(
          count, seed, [](double v) { return static_cast<float>(v); });
    case core::DType::kFloat16:
      return UniformFloat<uint16_t>(count, seed, [](double v) {
        return ToFloat16(static_cast<float>(v));
      });
    case core::DType::kBFloat16:
      return UniformFloat<uint16_t>(count, seed, [](double v) {
        return ToBFloat16(static_cast<float>(v));
      });
    case core::DType::kInt8:
      return UniformInt<int8_t>(count, seed);
    case core::DType::kInt16:
      return UniformInt<int16_t>(count, seed);
    case core::DType::kInt32:
      return UniformInt<int32_t>(count, seed);
    case core::DType::kInt64:
      return UniformInt<int64_t>(count, seed);
  }
  return "";
}

}  // namespace tensor_transform::client
