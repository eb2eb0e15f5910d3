// The benchmark's arrays: 25 M elements of float64 or float32 (the classic
// 5000 x 5000 workload), allocated and faulted in once, so that no timed
// call pays for first-touch page faults.
//
//   Buffers& b = Buffers::Get();
//   b.Reset(DType::kFloat64);  // x and g back to their random values
//   Relu(method, dtype, b.X(dtype), b.Out(dtype));
#ifndef TENSOR_TRANSFORM_CORE_BENCH_BUFFERS_H_
#define TENSOR_TRANSFORM_CORE_BENCH_BUFFERS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/types/span.h"
#include "core/types.h"

namespace tensor_transform::bench {

inline constexpr size_t kElements = 25'000'000;

class Buffers {
 public:
  // Allocated on first use: 5 x 200 MB plus 2 x 100 MB.
  static Buffers& Get();

  // Copies the pristine random inputs of `dtype` (kFloat32 or kFloat64;
  // uniform in [-0.5, 0.5), fixed seeds) into x (`x_offset` bytes in, see
  // X) and g; in-place runs overwrite them.
  void Reset(core::DType dtype, size_t x_offset = 0);

  // The first `elements` elements of `dtype` (at most kElements) of each
  // working buffer, 64-byte aligned; x's from `offset` bytes (below
  // kMaxOffset) past the boundary, misaligned as a received slice may be.
  static constexpr size_t kMaxOffset = 64;
  absl::Span<uint8_t> X(core::DType dtype, size_t elements = kElements,
                        size_t offset = 0);
  absl::Span<uint8_t> G(core::DType dtype, size_t elements = kElements);
  absl::Span<uint8_t> Out(core::DType dtype, size_t elements = kElements);

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  using Bytes = std::unique_ptr<uint8_t[], Free>;
  static Bytes Allocate(size_t bytes);

  Buffers();
  Bytes pristine_x64_, pristine_g64_, pristine_x32_, pristine_g32_;
  Bytes x_, g_, out_;
};

}  // namespace tensor_transform::bench

#endif  // TENSOR_TRANSFORM_CORE_BENCH_BUFFERS_H_
