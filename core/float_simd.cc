// ReLU kernels for float32 and float64 on xsimd batches. Each method keeps the
// character of its NumPy formula, corrected where IEEE arithmetic would break
// the contract (-0 and -inf must give +0, a NaN must keep its exact bits).
//
// This file is compiled once per instruction set (see CMakeLists.txt):
// TT_SIMD_ARCH names the xsimd architecture and TT_SIMD_TABLE the table it
// defines. Everything else here has internal linkage: two copies built with
// different flags must never share a symbol, or the linker could keep the
// AVX-512 copy of a helper for the SSE2 path. A test checks the objects for
// that (tests/core/check_simd_objects.py).
#include <immintrin.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

#include "core/kernels.h"
#include "core/stream_store.h"
#include "xsimd/xsimd.hpp"

namespace tensor_transform::core::internal {
namespace {

using Arch = TT_SIMD_ARCH;
template <class T>
using Batch = xsimd::batch<T, Arch>;

// np.maximum(x, 0). max(x, 0) returns the second operand for NaN and for
// x = -0, so the select restores a NaN's exact bits (no quieting) and + 0
// turns any -0 into +0 without changing another non-NaN value.
struct Maximum {
  template <class B>
  B operator()(B x) const {
    const B zero(0);
    return xsimd::select(xsimd::isnan(x), x, xsimd::max(x, zero) + zero);
  }
};

// x * (x > 0), done on the bits: x & all-ones is x * 1 and x & 0 is x * 0,
// exactly, so no -0, no inf * 0 = NaN, and NaN bits untouched. !(x <= 0) is
// true for x > 0 and for NaN.
struct Multiply {
  template <class B>
  B operator()(B x) const {
    return x & xsimd::bitwise_cast(!(x <= B(0)));
  }
};

// (|x| + x) / 2. Literally, |x| + x overflows above max/2 and -inf gives NaN.
// c clamps -inf to lowest (a finite -max). For |c| > 1 halving each term is
// exact, and a/2 + (-a/2) = +0; for |c| <= 1 the sum cannot overflow, doubling
// then halving a subnormal is exact, and a + (-a) = +0. The products are
// exact, so FMA contraction could not change the result either.
struct Abs {
  template <class B>
  B operator()(B x) const {
    using T = typename B::value_type;
    const B lowest(std::numeric_limits<T>::lowest()), half(T(0.5));
    const B c = xsimd::select(x < lowest, lowest, x);
    const B a = xsimd::abs(c);
    const B r = xsimd::select(a > B(1), a * half + c * half, (a + c) * half);
    return xsimd::select(xsimd::isnan(x), x, r);
  }
};

// x[x < 0] = 0, with the mask widened to x <= 0 so that -0 becomes +0. NaN <= 0
// is false, so a NaN is kept.
struct Masked {
  template <class B>
  B operator()(B x) const {
    return xsimd::select(x <= B(0), B(0), x);
  }
};

// 1 * (x > 0) and g * (x > 0): a select passes g's bits through exactly (a
// NaN or -0 gradient included); NaN > 0 is false.
struct Gradient {
  template <class B>
  B operator()(B x) const {
    return xsimd::select(x > B(0), B(1), B(0));
  }
  template <class B>
  B operator()(B x, B g) const {
    return xsimd::select(x > B(0), g, B(0));
  }
};

// Every buffer here is a byte pointer at any address (core/relu.h): elements
// are moved only by unaligned vector loads and stores and by memcpy, never by
// dereferencing a T*, so a misaligned buffer is as well defined as an aligned
// one. Element i of a buffer starts at byte i * sizeof(T).

// out[i] = op(in[i]...) for fewer than a batch of elements: through zeroed
// batch-sized buffers, so the head and tail get exactly the vector formula.
template <class T, class Op, class... In, size_t... kInput>
void MapPartial(std::index_sequence<kInput...>, Op op, uint8_t* out, size_t n,
                const In*... in) {
  if (n == 0) return;
  constexpr size_t kWidth = Batch<T>::size;
  alignas(Arch::alignment()) T inputs[sizeof...(In)][kWidth] = {};
  alignas(Arch::alignment()) T result[kWidth];
  (std::memcpy(inputs[kInput], in, n * sizeof(T)), ...);
  op(Batch<T>::load_aligned(inputs[kInput])...).store_aligned(result);
  std::memcpy(out, result, n * sizeof(T));
}

template <class T, class Op, class... In>
void MapPartial(Op op, uint8_t* out, size_t n, const In*... in) {
  MapPartial<T>(std::index_sequence_for<In...>(), op, out, n, in...);
}

// A whole batch from p, as an opaque value. Without the empty asm, the
// compiler folds a load that only feeds a select (the upstream gradient's
// g) into an AVX-512 masked load, which reads just the selected lanes; over
// arrays larger than the cache such loads ran 1.7x slower on the reference
// machine (they seem not to be prefetched), whereas a whole load and a blend
// run at the memory floor.
template <class T>
Batch<T> LoadWhole(const uint8_t* p) {
  auto reg = static_cast<typename Batch<T>::register_type>(
      Batch<T>::load_unaligned(reinterpret_cast<const T*>(p)));
  asm("" : "+v"(reg));
  return reg;
}

// Elements before `out` reaches the register alignment that streaming stores
// need, or SIZE_MAX when no whole number of elements gets it there (out is
// not element-aligned).
template <class T>
size_t ElementsToAlignment(const uint8_t* out) {
  const size_t misalignment =
      reinterpret_cast<uintptr_t>(out) % Arch::alignment();
  if (misalignment % sizeof(T) != 0) return SIZE_MAX;
  return misalignment == 0 ? 0 : (Arch::alignment() - misalignment) / sizeof(T);
}

// out[i] = op(in[i]...) for n elements of T. Loads are unaligned (x and out
// need not share an alignment). Streaming stores need an aligned out: a
// partial head batch aligns it first; an out that is not element-aligned
// gets normal stores (no head of whole elements aligns it). Each batch is
// loaded before it is stored, so out may be exactly one of the inputs.
template <class T, class Op, class... In>
void Map(Op op, bool stream, uint8_t* out, size_t n, const In*... in) {
  constexpr size_t kWidth = Batch<T>::size;
  const size_t head = stream ? ElementsToAlignment<T>(out) : SIZE_MAX;
  size_t i = 0;
  if (head != SIZE_MAX) {
    i = head < n ? head : n;
    MapPartial<T>(op, out, i, in...);
    for (; i + kWidth <= n; i += kWidth) {
      const size_t at = i * sizeof(T);
      StreamStore(reinterpret_cast<T*>(out + at), op(LoadWhole<T>(in + at)...));
    }
    // Streaming stores are weakly ordered: make them visible before the
    // caller (or the thread pool) reports the work done.
    _mm_sfence();
  } else {
    for (; i + kWidth <= n; i += kWidth) {
      const size_t at = i * sizeof(T);
      op(LoadWhole<T>(in + at)...)
          .store_unaligned(reinterpret_cast<T*>(out + at));
    }
  }
  const size_t at = i * sizeof(T);
  MapPartial<T>(op, out + at, n - i, (in + at)...);
}

template <class T>
void ReluOf(Method method, const uint8_t* x, uint8_t* out, size_t n,
            bool stream) {
  switch (method) {
    case Method::kMaximum:
      return Map<T>(Maximum(), stream, out, n, x);
    case Method::kMultiply:
      return Map<T>(Multiply(), stream, out, n, x);
    case Method::kAbs:
      return Map<T>(Abs(), stream, out, n, x);
    case Method::kMasked:
      return Map<T>(Masked(), stream, out, n, x);
  }
}

template <class T>
void GradientOf(const uint8_t* x, const uint8_t* upstream, uint8_t* out,
                size_t n, bool stream) {
  if (upstream == nullptr) return Map<T>(Gradient(), stream, out, n, x);
  Map<T>(Gradient(), stream, out, n, x, upstream);
}

void Relu(Method method, DType dtype, const uint8_t* x, uint8_t* out, size_t n,
          bool stream) {
  if (dtype == DType::kFloat32) {
    return ReluOf<float>(method, x, out, n, stream);
  }
  ReluOf<double>(method, x, out, n, stream);
}

void GradientKernel(DType dtype, const uint8_t* x, const uint8_t* upstream,
                    uint8_t* out, size_t n, bool stream) {
  if (dtype == DType::kFloat32) {
    return GradientOf<float>(x, upstream, out, n, stream);
  }
  GradientOf<double>(x, upstream, out, n, stream);
}

}  // namespace

const KernelTable TT_SIMD_TABLE = {&Relu, &GradientKernel};

}  // namespace tensor_transform::core::internal
