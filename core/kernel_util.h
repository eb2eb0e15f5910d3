// Internal: xtensor building blocks shared by the kernel families. Every helper
// works on the caller's buffers: no copy, no allocation.
//
//   auto x = internal::View<float>(x_bytes, n);
//   xt::noalias(out) = internal::MaskMultiply<uint32_t>(bits, x > 0.0f);
#ifndef TENSOR_TRANSFORM_CORE_KERNEL_UTIL_H_
#define TENSOR_TRANSFORM_CORE_KERNEL_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <utility>

#include "xtensor/xadapt.hpp"
#include "xtensor/xassign.hpp"
#include "xtensor/xindex_view.hpp"
#include "xtensor/xnoalias.hpp"
#include "xtensor/xoperation.hpp"

namespace tensor_transform::core::internal {

// n elements of the caller's buffer as a 1-D tensor, without copying. The
// pointer is passed to adapt() as a prvalue on purpose: adapt() keeps an lvalue
// pointer argument by reference, which would dangle once View returns.
template <class T>
auto View(uint8_t* bytes, size_t n) {
  return xt::adapt(reinterpret_cast<T*>(bytes), n, xt::no_ownership());
}
template <class T>
auto View(const uint8_t* bytes, size_t n) {
  return xt::adapt(reinterpret_cast<const T*>(bytes), n, xt::no_ownership());
}

// xt::noalias(out) = e for an expression whose leaves have value types other
// than out's (a float buffer read inside a uint32 expression, int32 inside
// uint16). On xtensor's SIMD path every leaf is loaded *converted* to out's
// value type (a value conversion, not a reinterpretation of bits), so such an
// expression would silently compute on wrong values; xt::cast has no SIMD
// form in xtensor 0.24, which keeps these on the scalar loop. The assert keeps
// it so if a future xtensor or an edit changes that.
template <class O, class E>
void AssignMixed(O& out, const E& e) {
  static_assert(!xt::xassign_traits<O, E>::simd_linear_assign(),
                "mixed-type expression on xtensor's SIMD path");
  xt::noalias(out) = e;
}

// bits * keep in the integer type S: exactly `bits` where keep, else 0. The
// outer cast undoes C++'s promotion of narrow types to int.
template <class S, class B, class K>
auto MaskMultiply(B&& bits, K&& keep) {
  return xt::cast<S>(std::forward<B>(bits) *
                     xt::cast<S>(std::forward<K>(keep)));
}

// out = x, then out = 0 where `zero_where`; `out` may be the same buffer as
// `x`. filtration() writes in place element by element (std::transform), so
// neither step makes a temporary.
template <class X, class O, class C>
void CopyThenZero(const X& x, O& out, C&& zero_where) {
  if (out.data() != x.data()) xt::noalias(out) = x;
  xt::filtration(out, std::forward<C>(zero_where)) = typename O::value_type(0);
}

// out = one * keep, or upstream * keep when `upstream` is not null, in the
// dtype's integer storage S, so that upstream's bits pass through exactly
// (a NaN or -0 gradient included) and everything else becomes +0. `keep` reads
// x element by element, so out may be exactly x or exactly upstream.
template <class S, class K>
void MaskedGradient(K&& keep, S one, const uint8_t* upstream, uint8_t* out,
                    size_t n) {
  auto out_view = View<S>(out, n);
  if (upstream == nullptr) {
    AssignMixed(out_view, MaskMultiply<S>(one, std::forward<K>(keep)));
    return;
  }
  const auto upstream_view = View<S>(upstream, n);
  AssignMixed(out_view, MaskMultiply<S>(upstream_view, std::forward<K>(keep)));
}

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_KERNEL_UTIL_H_
