// Internal: non-temporal ("streaming") stores of one SIMD register, for the
// code compiled once per instruction set (core/float_simd.cc and the
// benchmark's memory floors).
//
//   StreamStore(out + i, batch);  // an xsimd batch converts to its register
//
// The address must be aligned to the register's width. Streaming stores are
// weakly ordered: call _mm_sfence() before reporting the work done.
//
// The functions are `static` on purpose: every file that includes this one
// is compiled with different instruction-set flags, and each must keep its
// own copy (an inline function would be one weak symbol shared by all, and
// the linker could pick the AVX-512 copy for the SSE2 path).
#ifndef TENSOR_TRANSFORM_CORE_STREAM_STORE_H_
#define TENSOR_TRANSFORM_CORE_STREAM_STORE_H_

#include <immintrin.h>

namespace tensor_transform::core::internal {

static inline void StreamStore(float* p, __m128 v) { _mm_stream_ps(p, v); }
static inline void StreamStore(double* p, __m128d v) { _mm_stream_pd(p, v); }
static inline void StreamStore(void* p, __m128i v) {
  _mm_stream_si128(static_cast<__m128i*>(p), v);
}
#ifdef __AVX__
static inline void StreamStore(float* p, __m256 v) { _mm256_stream_ps(p, v); }
static inline void StreamStore(double* p, __m256d v) { _mm256_stream_pd(p, v); }
static inline void StreamStore(void* p, __m256i v) {
  _mm256_stream_si256(static_cast<__m256i*>(p), v);
}
#endif
#ifdef __AVX512F__
static inline void StreamStore(float* p, __m512 v) { _mm512_stream_ps(p, v); }
static inline void StreamStore(double* p, __m512d v) { _mm512_stream_pd(p, v); }
static inline void StreamStore(void* p, __m512i v) {
  _mm512_stream_si512(static_cast<__m512i*>(p), v);
}
#endif

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_STREAM_STORE_H_
