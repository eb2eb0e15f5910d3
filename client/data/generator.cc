#include "client/data/generator.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <type_traits>
#include <utility>

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

// `count` values of draw(rng) (a double), stored as the float dtype `dtype`.
template <typename Draw>
std::string FloatTensor(core::DType dtype, int64_t count, uint64_t seed,
                        Draw draw) {
  switch (dtype) {
    case core::DType::kFloat64:
      return Generate<double>(count, seed, draw);
    case core::DType::kFloat32:
      return Generate<float>(count, seed, [&](std::mt19937_64& rng) {
        return static_cast<float>(draw(rng));
      });
    case core::DType::kFloat16:
      return Generate<uint16_t>(count, seed, [&](std::mt19937_64& rng) {
        return ToFloat16(static_cast<float>(draw(rng)));
      });
    case core::DType::kBFloat16:
      return Generate<uint16_t>(count, seed, [&](std::mt19937_64& rng) {
        return ToBFloat16(static_cast<float>(draw(rng)));
      });
    default:
      return "";
  }
}

// `count` values of draw(rng, max), where max is the largest value of the
// integer dtype `dtype` and draw returns a value in its range.
template <typename Draw>
std::string IntTensor(core::DType dtype, int64_t count, uint64_t seed,
                      Draw draw) {
  auto make = [&](auto zero) {
    using T = decltype(zero);
    return Generate<T>(count, seed, [&](std::mt19937_64& rng) {
      return static_cast<T>(draw(rng, std::numeric_limits<T>::max()));
    });
  };
  switch (dtype) {
    case core::DType::kInt8:
      return make(int8_t{0});
    case core::DType::kInt16:
      return make(int16_t{0});
    case core::DType::kInt32:
      return make(int32_t{0});
    case core::DType::kInt64:
      return make(int64_t{0});
    default:
      return "";
  }
}

bool IsFloat(core::DType dtype) {
  return dtype == core::DType::kFloat64 || dtype == core::DType::kFloat32 ||
         dtype == core::DType::kFloat16 || dtype == core::DType::kBFloat16;
}

std::string NormalTensor(core::DType dtype, int64_t count, uint64_t seed) {
  if (IsFloat(dtype)) {
    std::normal_distribution<double> dist(0, 1);
    return FloatTensor(dtype, count, seed,
                       [&](std::mt19937_64& rng) { return dist(rng); });
  }
  return IntTensor(dtype, count, seed, [](std::mt19937_64& rng, int64_t max) {
    std::normal_distribution<double> dist(0, static_cast<double>(max) / 8);
    const double limit = static_cast<double>(max);
    return static_cast<int64_t>(
        std::llround(std::clamp(dist(rng), -limit, limit)));
  });
}

// IEEE 754 edge cases of a `width`-bit format with `mantissa_bits` stored
// mantissa bits, each with both signs.
std::vector<uint64_t> IeeeSpecials(int width, int mantissa_bits) {
  const uint64_t sign = uint64_t{1} << (width - 1);
  const uint64_t mantissa = (uint64_t{1} << mantissa_bits) - 1;
  const uint64_t exponent = (sign - 1) & ~mantissa;
  const uint64_t quiet = uint64_t{1} << (mantissa_bits - 1);
  const uint64_t positive[] = {
      exponent | quiet | 1,  // quiet NaN with a payload
      exponent | 1,          // signalling NaN
      exponent,              // inf
      0,                     // zero
      1,                     // smallest subnormal
      mantissa,              // largest subnormal
      mantissa + 1,          // smallest normal
      exponent - 1,          // largest finite
  };
  std::vector<uint64_t> values;
  for (uint64_t v : positive) {
    values.push_back(v);
    values.push_back(v | sign);
  }
  return values;
}

// min, min + 1, -1, 0, 1, max - 1, max of a `width`-bit two's complement
// integer, as bit patterns.
std::vector<uint64_t> IntSpecials(int width) {
  const uint64_t all = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  const uint64_t min = uint64_t{1} << (width - 1);
  return {min, min + 1, all, 0, 1, min - 2, min - 1};
}

std::string SpecialTensor(core::DType dtype, int64_t count, uint64_t seed) {
  std::string out = UniformTensor(dtype, count, seed);
  const std::vector<uint64_t> specials = SpecialValues(dtype);
  const size_t item = core::ItemSize(dtype);
  std::mt19937_64 rng(seed ^ 0x5eed5eed5eed5eedULL);
  std::uniform_int_distribution<size_t> pick(0, specials.size() - 1);
  std::bernoulli_distribution replace(0.25);
  for (int64_t i = 0; i < count; ++i) {
    if (!replace(rng)) continue;
    const uint64_t bits = specials[pick(rng)];
    // Little-endian host: the low `item` bytes are the element.
    std::memcpy(out.data() + i * item, &bits, item);
  }
  return out;
}

constexpr std::pair<Distribution, absl::string_view> kDistributionNames[] = {
    {Distribution::kUniform, "uniform"},
    {Distribution::kNormal, "normal"},
    {Distribution::kSpecial, "special"}};

}  // namespace

std::string UniformTensor(core::DType dtype, int64_t count, uint64_t seed) {
  if (IsFloat(dtype)) {
    std::uniform_real_distribution<double> dist(-0.5, 0.5);
    return FloatTensor(dtype, count, seed,
                       [&](std::mt19937_64& rng) { return dist(rng); });
  }
  return IntTensor(dtype, count, seed, [](std::mt19937_64& rng, int64_t max) {
    const int64_t quarter = max / 2;
    return std::uniform_int_distribution<int64_t>(-quarter - 1, quarter)(rng);
  });
}

absl::string_view DistributionName(Distribution distribution) {
  for (const auto& [d, name] : kDistributionNames) {
    if (d == distribution) return name;
  }
  return "unknown";
}

std::optional<Distribution> ParseDistribution(absl::string_view name) {
  for (const auto& [d, n] : kDistributionNames) {
    if (n == name) return d;
  }
  return std::nullopt;
}

std::string GenerateTensor(core::DType dtype, int64_t count,
                           Distribution distribution, uint64_t seed) {
  switch (distribution) {
    case Distribution::kUniform:
      return UniformTensor(dtype, count, seed);
    case Distribution::kNormal:
      return NormalTensor(dtype, count, seed);
    case Distribution::kSpecial:
      return SpecialTensor(dtype, count, seed);
  }
  return "";
}

std::vector<uint64_t> SpecialValues(core::DType dtype) {
  switch (dtype) {
    case core::DType::kFloat64:
      return IeeeSpecials(64, 52);
    case core::DType::kFloat32:
      return IeeeSpecials(32, 23);
    case core::DType::kFloat16:
      return IeeeSpecials(16, 10);
    case core::DType::kBFloat16:
      return IeeeSpecials(16, 7);
    default:
      return IntSpecials(static_cast<int>(core::ItemSize(dtype)) * 8);
  }
}

}  // namespace tensor_transform::client
