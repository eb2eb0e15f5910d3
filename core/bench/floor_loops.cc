// The memory-floor loops on xsimd batches of 64-bit lanes. Compiled once per
// instruction set (TT_SIMD_ARCH, TT_SIMD_TABLE; see tt_per_isa), so, as in
// core/float_simd.cc, everything but the table has internal linkage.
#include "core/bench/floor_loops.h"

#include <immintrin.h>

#include "core/stream_store.h"
#include "xsimd/xsimd.hpp"

namespace tensor_transform::bench {
namespace {

using Arch = TT_SIMD_ARCH;
using Batch = xsimd::batch<uint64_t, Arch>;

// Zero, read at run time so the compiler cannot drop the arithmetic (and with
// it the reads) of the patterns that must touch every byte.
volatile uint64_t zero_source = 0;

// out = op(x, g) over `bytes`; g may be null when op ignores it.
template <class Op>
void Pass(Op op, const uint8_t* x, const uint8_t* g, uint8_t* out, size_t bytes,
          bool stream) {
  const Batch zero(zero_source);
  const size_t n = bytes / sizeof(uint64_t);
  const auto* x64 = reinterpret_cast<const uint64_t*>(x);
  const auto* g64 = reinterpret_cast<const uint64_t*>(g);
  auto* out64 = reinterpret_cast<uint64_t*>(out);
  for (size_t i = 0; i < n; i += Batch::size) {
    const Batch v = op(Batch::load_aligned(x64 + i), g64, i, zero);
    if (stream) {
      core::internal::StreamStore(out64 + i, v);
    } else {
      v.store_aligned(out64 + i);
    }
  }
  if (stream) _mm_sfence();
}

Batch Same(Batch x, const uint64_t*, size_t, Batch) { return x; }
Batch XorZero(Batch x, const uint64_t*, size_t, Batch zero) { return x ^ zero; }
Batch OrMaskedG(Batch x, const uint64_t* g, size_t i, Batch zero) {
  return x | (Batch::load_aligned(g + i) & zero);
}

void Copy(uint8_t* x, const uint8_t*, uint8_t* out, size_t bytes, bool stream) {
  Pass(Same, x, nullptr, out, bytes, stream);
}
void InPlace(uint8_t* x, const uint8_t*, uint8_t*, size_t bytes, bool stream) {
  Pass(XorZero, x, nullptr, x, bytes, stream);
}
void TwoInputs(uint8_t* x, const uint8_t* g, uint8_t* out, size_t bytes,
               bool stream) {
  Pass(OrMaskedG, x, g, out, bytes, stream);
}
void TwoInPlace(uint8_t* x, const uint8_t* g, uint8_t*, size_t bytes,
                bool stream) {
  Pass(OrMaskedG, x, g, x, bytes, stream);
}

}  // namespace

const FloorLoops TT_SIMD_TABLE = {&Copy, &InPlace, &TwoInputs, &TwoInPlace};

}  // namespace tensor_transform::bench
