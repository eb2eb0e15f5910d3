#include "core/bench/buffers.h"

#include <cstring>
#include <new>
#include <random>

namespace tensor_transform::bench {
namespace {

constexpr std::align_val_t kAlignment{64};
constexpr uint64_t kSeed = 0x7E2024ULL;

template <class T>
void FillUniform(uint8_t* bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<T> uniform(T(-0.5), T(0.5));
  T* values = reinterpret_cast<T*>(bytes);
  for (size_t i = 0; i < kElements; ++i) values[i] = uniform(rng);
}

}  // namespace

void Buffers::Free::operator()(uint8_t* p) const {
  ::operator delete[](p, kAlignment);
}

Buffers::Bytes Buffers::Allocate(size_t bytes) {
  Bytes buffer(static_cast<uint8_t*>(::operator new[](bytes, kAlignment)));
  std::memset(buffer.get(), 0, bytes);  // fault every page in now
  return buffer;
}

Buffers& Buffers::Get() {
  static Buffers* const buffers = new Buffers();
  return *buffers;
}

Buffers::Buffers()
    : pristine_x64_(Allocate(kElements * 8)),
      pristine_g64_(Allocate(kElements * 8)),
      pristine_x32_(Allocate(kElements * 4)),
      pristine_g32_(Allocate(kElements * 4)),
      x_(Allocate(kElements * 8 + kMaxOffset)),
      g_(Allocate(kElements * 8)),
      out_(Allocate(kElements * 8)) {
  FillUniform<double>(pristine_x64_.get(), kSeed);
  FillUniform<double>(pristine_g64_.get(), kSeed + 1);
  FillUniform<float>(pristine_x32_.get(), kSeed);
  FillUniform<float>(pristine_g32_.get(), kSeed + 1);
}

void Buffers::Reset(core::DType dtype, size_t x_offset) {
  const bool f64 = dtype == core::DType::kFloat64;
  const size_t bytes = kElements * core::ItemSize(dtype);
  std::memcpy(x_.get() + x_offset, (f64 ? pristine_x64_ : pristine_x32_).get(),
              bytes);
  std::memcpy(g_.get(), (f64 ? pristine_g64_ : pristine_g32_).get(), bytes);
}

absl::Span<uint8_t> Buffers::X(core::DType dtype, size_t elements,
                               size_t offset) {
  return {x_.get() + offset, elements * core::ItemSize(dtype)};
}
absl::Span<uint8_t> Buffers::G(core::DType dtype, size_t elements) {
  return {g_.get(), elements * core::ItemSize(dtype)};
}
absl::Span<uint8_t> Buffers::Out(core::DType dtype, size_t elements) {
  return {out_.get(), elements * core::ItemSize(dtype)};
}

}  // namespace tensor_transform::bench
