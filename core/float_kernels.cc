// ReLU kernels for float32 and float64. Each method keeps the character of its
// NumPy formula, corrected where IEEE arithmetic would break the contract
// (-0 and -inf must give +0, a NaN must keep its exact bits).
#include <cstring>
#include <limits>

#include "core/kernel_util.h"
#include "core/kernels.h"
#include "xsimd/xsimd.hpp"
#include "xtensor/xmath.hpp"

namespace tensor_transform::core::internal {
namespace {

// np.maximum(x, 0). xsimd::max is maxps/maxpd on SIMD lanes and std::max-like
// on the scalar head and tail, and the two disagree on max(-0, 0); adding +0
// turns -0 into +0 and leaves every other non-NaN value unchanged. NaN lanes
// take x's bits via the select, so a signalling NaN is not quieted.
// xt::maximum would do, but in xtensor 0.24 its functor's simd_apply has two
// template parameters, which has_simd_apply cannot see, so the whole
// expression would fall back to a scalar loop (about 4x slower); a unary
// lambda xfunction keeps it on the SIMD path.
template <class T>
void Maximum(const uint8_t* x_bytes, uint8_t* out_bytes, size_t n) {
  const auto x = View<T>(x_bytes, n);
  auto out = View<T>(out_bytes, n);
  const auto max0 = xt::make_lambda_xfunction(
      [](auto v) { return xsimd::max(v, decltype(v)(0)); }, x);
  xt::noalias(out) = xt::where(xt::isnan(x), x, max0 + T(0));
}

// x * (x > 0). A float multiply gives -0 for negatives and NaN for -inf, so
// the multiply is done on the bits instead: bits * 1 or bits * 0 is exact.
// !(x <= 0) is true for x > 0 and for NaN, which keeps NaN bits unchanged.
// x and bits read the same memory as T and as U: core is compiled with
// -fno-strict-aliasing for this.
template <class T, class U>
void Multiply(const uint8_t* x_bytes, uint8_t* out_bytes, size_t n) {
  const auto x = View<T>(x_bytes, n);
  const auto bits = View<U>(x_bytes, n);
  auto out_bits = View<U>(out_bytes, n);
  AssignMixed(out_bits, MaskMultiply<U>(bits, !(x <= T(0))));
}

// (|x| + x) / 2. Literally, |x| + x overflows above max/2 and -inf gives NaN.
// c clamps -inf to lowest (a finite -max); the clamp is a select, not
// xt::maximum, to stay on the SIMD path (see Maximum). For |c| > 1 halving each
// term is exact, and a/2 + (-a/2) = +0; for |c| <= 1 the sum cannot overflow,
// doubling then halving a subnormal is exact, and a + (-a) = +0. The products
// are exact, so FMA contraction could not change the result either.
template <class T>
void Abs(const uint8_t* x_bytes, uint8_t* out_bytes, size_t n) {
  const auto x = View<T>(x_bytes, n);
  auto out = View<T>(out_bytes, n);
  const T half(0.5);
  const T lowest = std::numeric_limits<T>::lowest();
  const auto c = xt::where(x < lowest, lowest, x);
  const auto a = xt::abs(c);
  xt::noalias(out) =
      xt::where(xt::isnan(x), x,
                xt::where(a > T(1), a * half + c * half, (a + c) * half));
}

// x[x < 0] = 0, with the mask widened to x <= 0 so that -0 becomes +0. NaN <= 0
// is false, so a NaN is kept.
template <class T>
void Masked(const uint8_t* x_bytes, uint8_t* out_bytes, size_t n) {
  const auto x = View<T>(x_bytes, n);
  auto out = View<T>(out_bytes, n);
  CopyThenZero(x, out, x <= T(0));
}

template <class T, class U>
void ReluOf(Method method, const uint8_t* x, uint8_t* out, size_t n) {
  static_assert(sizeof(T) == sizeof(U));
  switch (method) {
    case Method::kMaximum:
      return Maximum<T>(x, out, n);
    case Method::kMultiply:
      return Multiply<T, U>(x, out, n);
    case Method::kAbs:
      return Abs<T>(x, out, n);
    case Method::kMasked:
      return Masked<T>(x, out, n);
  }
}

// 1 * (x > 0) or g * (x > 0), on the bits (see MaskedGradient).
template <class T, class U>
void GradientOf(const uint8_t* x_bytes, const uint8_t* upstream, uint8_t* out,
                size_t n) {
  const auto x = View<T>(x_bytes, n);
  const T one(1);
  U one_bits;
  std::memcpy(&one_bits, &one, sizeof(one_bits));
  MaskedGradient<U>(x > T(0), one_bits, upstream, out, n);
}

}  // namespace

void FloatRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
               size_t n) {
  if (dtype == DType::kFloat32)
    return ReluOf<float, uint32_t>(method, x, out, n);
  ReluOf<double, uint64_t>(method, x, out, n);
}

void FloatGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                   uint8_t* out, size_t n) {
  if (dtype == DType::kFloat32) {
    return GradientOf<float, uint32_t>(x, upstream, out, n);
  }
  GradientOf<double, uint64_t>(x, upstream, out, n);
}

}  // namespace tensor_transform::core::internal
