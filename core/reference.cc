#include "core/reference.h"

#include <cmath>
#include <cstring>

namespace tensor_transform::core {
namespace {

// Each element is read and written through memcpy of its bits, so a NaN is
// never loaded into a floating-point operation that could quiet it, and the
// same code serves every dtype. A codec answers the two questions the contract
// asks of an element: is it a NaN, and is it greater than zero.

template <class T, class Bits>
struct FloatCodec {
  using Storage = Bits;
  static T Value(Bits bits) {
    T value;
    std::memcpy(&value, &bits, sizeof(value));
    return value;
  }
  static bool IsNan(Bits bits) { return std::isnan(Value(bits)); }
  static bool IsPositive(Bits bits) { return Value(bits) > T(0); }
  static Bits One() {
    const T one = 1;
    Bits bits;
    std::memcpy(&bits, &one, sizeof(bits));
    return bits;
  }
};

// binary16 and bfloat16 have no native arithmetic: classify the bits. Both are
// sign-magnitude with an all-ones exponent for inf (mantissa 0) and NaN.
template <uint16_t kInfBits, uint16_t kOneBits>
struct HalfCodec {
  using Storage = uint16_t;
  static constexpr uint16_t kSignBit = 0x8000;
  static bool IsNan(uint16_t bits) { return (bits & 0x7FFF) > kInfBits; }
  static bool IsPositive(uint16_t bits) {
    return (bits & kSignBit) == 0 && bits != 0 && !IsNan(bits);
  }
  static uint16_t One() { return kOneBits; }
};

template <class T>
struct IntCodec {
  using Storage = T;
  static bool IsNan(T) { return false; }
  static bool IsPositive(T value) { return value > 0; }
  static T One() { return 1; }
};

template <class Codec>
typename Codec::Storage Load(const uint8_t* data, size_t i) {
  typename Codec::Storage bits;
  std::memcpy(&bits, data + i * sizeof(bits), sizeof(bits));
  return bits;
}

template <class Codec>
void Store(uint8_t* data, size_t i, typename Codec::Storage bits) {
  std::memcpy(data + i * sizeof(bits), &bits, sizeof(bits));
}

template <class Codec>
void ReluOf(const uint8_t* x, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const typename Codec::Storage bits = Load<Codec>(x, i);
    const bool keep = Codec::IsNan(bits) || Codec::IsPositive(bits);
    Store<Codec>(out, i, keep ? bits : typename Codec::Storage{0});
  }
}

template <class Codec>
void GradientOf(const uint8_t* x, const uint8_t* upstream, uint8_t* out,
                size_t n) {
  for (size_t i = 0; i < n; ++i) {
    // Loaded before the store: out may be x or upstream.
    const bool keep = Codec::IsPositive(Load<Codec>(x, i));
    const typename Codec::Storage pass =
        upstream == nullptr ? Codec::One() : Load<Codec>(upstream, i);
    Store<Codec>(out, i, keep ? pass : typename Codec::Storage{0});
  }
}

using Float32 = FloatCodec<float, uint32_t>;
using Float64 = FloatCodec<double, uint64_t>;
using Float16 = HalfCodec<0x7C00, 0x3C00>;
using BFloat16 = HalfCodec<0x7F80, 0x3F80>;

template <class T>
struct TypeTag {
  using type = T;
};

// Calls fn(TypeTag<Codec>()) with the codec of dtype.
template <class Fn>
void WithCodec(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32:
      return fn(TypeTag<Float32>());
    case DType::kFloat64:
      return fn(TypeTag<Float64>());
    case DType::kFloat16:
      return fn(TypeTag<Float16>());
    case DType::kBFloat16:
      return fn(TypeTag<BFloat16>());
    case DType::kInt8:
      return fn(TypeTag<IntCodec<int8_t>>());
    case DType::kInt16:
      return fn(TypeTag<IntCodec<int16_t>>());
    case DType::kInt32:
      return fn(TypeTag<IntCodec<int32_t>>());
    case DType::kInt64:
      return fn(TypeTag<IntCodec<int64_t>>());
  }
}

}  // namespace

void ReferenceRelu(DType dtype, const uint8_t* x, uint8_t* out, size_t n) {
  WithCodec(dtype, [&](auto codec) {
    ReluOf<typename decltype(codec)::type>(x, out, n);
  });
}

void ReferenceGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                       uint8_t* out, size_t n) {
  WithCodec(dtype, [&](auto codec) {
    GradientOf<typename decltype(codec)::type>(x, upstream, out, n);
  });
}

}  // namespace tensor_transform::core
