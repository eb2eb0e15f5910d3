// ReLU kernels for float16 (IEEE binary16) and bfloat16. Neither has native
// arithmetic, so every method works on the uint16 bits, through an "ordered
// integer" that compares like the float it encodes.
#include "core/kernel_util.h"
#include "core/kernels.h"
#include "xtensor/xmath.hpp"

namespace tensor_transform::core::internal {
namespace {

// The two formats differ only in where inf sits and what 1.0 is.
struct Float16Format {
  static constexpr int32_t kInfBits = 0x7C00;
  static constexpr uint16_t kOneBits = 0x3C00;
};
struct BFloat16Format {
  static constexpr int32_t kInfBits = 0x7F80;
  static constexpr uint16_t kOneBits = 0x3F80;
};

constexpr int32_t kMagnitudeMask = 0x7FFF;

// Calls fn(b, v, nan) with lazy views of one half buffer: its bits b, the
// ordered integer v (sign-magnitude folded to two's complement in int32; -0
// and +0 both give 0, so for a non-NaN x, v > 0 exactly when x > 0) and the NaN
// mask. The views read the buffer element by element and live only during fn.
// v is sign ? -magnitude : magnitude written without a select ((m ^ s) - s
// with s = 0 or -1), and the kernels combine masks with | and & rather than
// || and &&: on random signs a branch per element costs about 3x.
template <class Format, class Fn>
void WithTerms(const uint8_t* bytes, size_t n, Fn&& fn) {
  const auto b = View<uint16_t>(bytes, n);
  const auto wide = xt::cast<int32_t>(b);
  const auto magnitude = wide & kMagnitudeMask;
  const auto negative = -(wide >> 15);  // 0 or -1
  const auto v = (magnitude ^ negative) - negative;
  const auto nan = magnitude > Format::kInfBits;
  fn(b, v, nan);
}

template <class Format>
void ReluOf(Method method, const uint8_t* x, uint8_t* out_bytes, size_t n) {
  auto out = View<uint16_t>(out_bytes, n);
  WithTerms<Format>(x, n, [&](const auto& b, const auto& v, const auto& nan) {
    switch (method) {
      case Method::kMaximum:  // np.maximum(x, 0)
        AssignMixed(
            out,
            xt::where(nan, b, xt::cast<uint16_t>(xt::maximum(v, int32_t{0}))));
        return;
      case Method::kMultiply:  // x * (x > 0), exact on the bits; NaN * 1
        AssignMixed(out, MaskMultiply<uint16_t>(b, (v > 0) | nan));
        return;
      case Method::kAbs:  // (|x| + x) / 2: cannot overflow in int32
        AssignMixed(
            out, xt::where(nan, b,
                           xt::cast<uint16_t>((xt::abs(v) + v) / int32_t{2})));
        return;
      case Method::kMasked:  // x[x <= 0] = 0; a NaN is not <= 0
        CopyThenZero(b, out, (v <= 0) & !nan);
        return;
    }
  });
}

template <class Format>
void GradientOf(const uint8_t* x, const uint8_t* upstream, uint8_t* out,
                size_t n) {
  WithTerms<Format>(x, n, [&](const auto&, const auto& v, const auto& nan) {
    // A positive NaN has v > 0, but its gradient is +0.
    MaskedGradient<uint16_t>((v > 0) & !nan, Format::kOneBits, upstream, out,
                             n);
  });
}

}  // namespace

void HalfRelu(Method method, DType dtype, const uint8_t* x, uint8_t* out,
              size_t n) {
  if (dtype == DType::kFloat16) return ReluOf<Float16Format>(method, x, out, n);
  ReluOf<BFloat16Format>(method, x, out, n);
}

void HalfGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                  uint8_t* out, size_t n) {
  if (dtype == DType::kFloat16) {
    return GradientOf<Float16Format>(x, upstream, out, n);
  }
  GradientOf<BFloat16Format>(x, upstream, out, n);
}

}  // namespace tensor_transform::core::internal
