// Generated input tensors for benchmarks and load tests.
//
//   std::string x = UniformTensor(core::DType::kFloat64, 25'000'000, 42);
//   // 200 MB
//   std::string s = GenerateTensor(core::DType::kFloat16, 1000,
//                                  Distribution::kSpecial, 42);
#ifndef TENSOR_TRANSFORM_CLIENT_DATA_GENERATOR_H_
#define TENSOR_TRANSFORM_CLIENT_DATA_GENERATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/types.h"

namespace tensor_transform::client {

// `count` elements of `dtype`, little-endian: floats uniform in [-0.5, 0.5)
// (rounded to nearest for float16/bfloat16), integers uniform over the
// middle half of their range. Deterministic for a given seed.
std::string UniformTensor(core::DType dtype, int64_t count, uint64_t seed);

enum class Distribution {
  kUniform,  // as UniformTensor
  // Floats N(0, 1); integers N(0, max/8), rounded and clamped.
  kNormal,
  // A quarter of the elements (at seeded random positions) are edge cases,
  // the rest uniform. Floats: quiet, signalling and negative NaN, +-inf,
  // +-0, the smallest and largest subnormals, the smallest normal, the
  // largest finite and the lowest; integers: min, min + 1, -1, 0, 1,
  // max - 1, max.
  kSpecial,
};

absl::string_view DistributionName(Distribution distribution);
std::optional<Distribution> ParseDistribution(absl::string_view name);

// `count` elements of `dtype` drawn from `distribution`, deterministic for a
// given seed.
std::string GenerateTensor(core::DType dtype, int64_t count,
                           Distribution distribution, uint64_t seed);

// The bit patterns kSpecial mixes in for `dtype` (in the low ItemSize bytes).
std::vector<uint64_t> SpecialValues(core::DType dtype);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_DATA_GENERATOR_H_
