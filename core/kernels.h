// Internal: the kernels behind Relu and ReluGradient, one table per family of
// dtypes (and, for float32 / float64, per instruction set). Only
// core/execute.cc calls them, after core/validate.h has checked the buffers.
//
//   internal::kFloatSimdAvx2.relu(Method::kAbs, DType::kFloat64, x, out, n,
//                                 /*stream=*/false);
//
// Preconditions (checked by validate.cc, not here): `n` elements of `dtype`
// at each pointer; `out` is exactly `x` (or `upstream`) or disjoint from it;
// `dtype` belongs to the family. The float kernels take any address; the half
// and int kernels read through element pointers, so theirs must be aligned to
// the element size (core/execute.cc passes misaligned buffers through stack
// copies, core/stack_scratch.h). A null `upstream` means "no upstream
// gradient". `stream`: write with non-temporal stores where out allows (only
// the float kernels have them; the others ignore it). Kernels never
// allocate.
#ifndef TENSOR_TRANSFORM_CORE_KERNELS_H_
#define TENSOR_TRANSFORM_CORE_KERNELS_H_

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace tensor_transform::core::internal {

struct KernelTable {
  void (*relu)(Method method, DType dtype, const uint8_t* x, uint8_t* out,
               size_t n, bool stream);
  void (*gradient)(DType dtype, const uint8_t* x, const uint8_t* upstream,
                   uint8_t* out, size_t n, bool stream);
};

// float32, float64 (core/float_simd.cc, xsimd, built once per instruction
// set with its own compiler flags): IEEE arithmetic, corrected to be exact at
// -0, -inf and NaN.
extern const KernelTable kFloatSimdSse2;
extern const KernelTable kFloatSimdAvx2;
extern const KernelTable kFloatSimdAvx512;

// float16, bfloat16 (core/half_kernels.cc, xtensor): integer arithmetic on
// the bits.
void HalfRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
              size_t n);
void HalfGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                  uint8_t* out, size_t n);

// int8 .. int64 (core/int_kernels.cc, xtensor): two's complement, never
// overflowing.
void IntRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
             size_t n);
void IntGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                 uint8_t* out, size_t n);

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_KERNELS_H_
