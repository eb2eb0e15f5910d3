// Internal: the xtensor kernels behind Relu and ReluGradient, one family per
// kind of dtype. Only relu.cc calls them, after validating the buffers.
//
//   internal::FloatRelu(Method::kAbs, DType::kFloat64, x, out, n);
//
// Preconditions (checked by relu.cc, not here): `n` elements of `dtype` at
// each pointer, each aligned to the element size; `out` is exactly `x` (or
// `upstream`) or disjoint from it; `dtype` belongs to the family. A null
// `upstream` means "no upstream gradient". Kernels never allocate.
#ifndef TENSOR_TRANSFORM_CORE_KERNELS_H_
#define TENSOR_TRANSFORM_CORE_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace tensor_transform::core::internal {

// float32, float64: IEEE arithmetic, corrected to be exact at -0, -inf, NaN.
void FloatRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
               size_t n);
void FloatGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                   uint8_t* out, size_t n);

// float16, bfloat16: integer arithmetic on the bits.
void HalfRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
              size_t n);
void HalfGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                  uint8_t* out, size_t n);

// int8 .. int64: two's complement, never overflowing.
void IntRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
             size_t n);
void IntGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                 uint8_t* out, size_t n);

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_KERNELS_H_
