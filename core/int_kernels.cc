// ReLU kernels for int8, int16, int32 and int64 (two's complement). Only the
// abs method needs care: |x| + x overflows x's type.
#include <type_traits>

#include "core/kernel_util.h"
#include "core/kernels.h"
#include "xtensor/xmath.hpp"

namespace tensor_transform::core::internal {
namespace {

template <class T>
using Wide = std::conditional_t<sizeof(T) < sizeof(int64_t), int64_t, uint64_t>;

// out = (|x| + x) / 2, computed in a type W where it cannot overflow.
// int8..int32 widen to int64. int64 has no wider type, so it uses uint64 with
// wraparound: for x < 0, |x| = 0 - u and (0 - u) + u wraps to exactly 0
// (INT64_MIN included); for x >= 0 the sum 2x < 2^64 is exact.
template <class T, class X, class O>
void AbsPlusXHalved(const X& x, O& out) {
  using W = Wide<T>;
  const auto w = xt::cast<W>(x);
  if constexpr (std::is_signed_v<W>) {
    AssignMixed(out, xt::cast<T>((xt::abs(w) + w) / W{2}));
  } else {
    AssignMixed(out,
                xt::cast<T>((xt::where(x < T(0), W{0} - w, w) + w) / W{2}));
  }
}

template <class T>
void ReluOf(Method method, const uint8_t* x_bytes, uint8_t* out_bytes,
            size_t n) {
  const auto x = View<T>(x_bytes, n);
  auto out = View<T>(out_bytes, n);
  switch (method) {
    case Method::kMaximum:  // np.maximum(x, 0)
      xt::noalias(out) = xt::maximum(x, T(0));
      return;
    case Method::kMultiply:  // x * (x > 0)
      xt::noalias(out) = MaskMultiply<T>(x, x > T(0));
      return;
    case Method::kAbs:
      return AbsPlusXHalved<T>(x, out);
    case Method::kMasked:  // x[x <= 0] = 0
      CopyThenZero(x, out, x <= T(0));
      return;
  }
}

template <class T>
void GradientOf(const uint8_t* x_bytes, const uint8_t* upstream, uint8_t* out,
                size_t n) {
  const auto x = View<T>(x_bytes, n);
  MaskedGradient<T>(x > T(0), T(1), upstream, out, n);
}

template <class T>
struct TypeTag {
  using type = T;
};

// Calls fn(TypeTag<T>()) with T the C++ type of the int dtype.
template <class Fn>
void WithIntType(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kInt8:
      return fn(TypeTag<int8_t>());
    case DType::kInt16:
      return fn(TypeTag<int16_t>());
    case DType::kInt32:
      return fn(TypeTag<int32_t>());
    default:
      return fn(TypeTag<int64_t>());
  }
}

}  // namespace

void IntRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
             size_t n) {
  WithIntType(dtype, [&](auto tag) {
    ReluOf<typename decltype(tag)::type>(method, x, out, n);
  });
}

void IntGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                 uint8_t* out, size_t n) {
  WithIntType(dtype, [&](auto tag) {
    GradientOf<typename decltype(tag)::type>(x, upstream, out, n);
  });
}

}  // namespace tensor_transform::core::internal
