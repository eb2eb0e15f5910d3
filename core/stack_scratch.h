// Internal: runs a kernel that reads its buffers through element pointers
// (the xtensor kernels of core/half_kernels.cc and core/int_kernels.cc) on
// buffers at any byte address. Element-aligned buffers go straight to the
// kernel; otherwise the elements pass chunk by chunk through aligned copies
// on the stack, computed in place there, so no misaligned element is ever
// dereferenced and nothing is allocated.
//
//   AtAnyAddress(2, x, nullptr, out, n,
//                [&](const uint8_t* x, const uint8_t*, uint8_t* out,
//                    size_t n) { HalfRelu(method, dtype, x, out, n); });
#ifndef TENSOR_TRANSFORM_CORE_STACK_SCRATCH_H_
#define TENSOR_TRANSFORM_CORE_STACK_SCRATCH_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace tensor_transform::core::internal {

// Bytes of each of the two stack copies: small enough for any thread's stack
// (gRPC's included), large enough that the per-chunk overhead is small, and
// both together stay in L1.
inline constexpr size_t kScratchBytes = 4096;

inline bool ElementAligned(const void* p, size_t item) {
  return reinterpret_cast<uintptr_t>(p) % item == 0;
}

// kernel(x, upstream, out, n) on n elements of `item` bytes (item divides
// 64); `upstream` may be null (none). The kernel is called on element-aligned
// buffers only, with out exactly x when they are stack copies; the caller's
// out may be exactly x or exactly upstream (each chunk is read before it is
// written).
template <class Kernel>
void AtAnyAddress(size_t item, const uint8_t* x, const uint8_t* upstream,
                  uint8_t* out, size_t n, const Kernel& kernel) {
  if (ElementAligned(x, item) && ElementAligned(out, item) &&
      (upstream == nullptr || ElementAligned(upstream, item))) {
    return kernel(x, upstream, out, n);
  }
  alignas(64) uint8_t x_copy[kScratchBytes];
  alignas(64) uint8_t upstream_copy[kScratchBytes];
  const size_t chunk = kScratchBytes / item;
  for (size_t done = 0; done < n; done += chunk) {
    const size_t count = std::min(chunk, n - done);
    const size_t offset = done * item, bytes = count * item;
    std::memcpy(x_copy, x + offset, bytes);
    if (upstream != nullptr) {
      std::memcpy(upstream_copy, upstream + offset, bytes);
    }
    kernel(x_copy, upstream == nullptr ? nullptr : upstream_copy, x_copy,
           count);
    std::memcpy(out + offset, x_copy, bytes);
  }
}

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_STACK_SCRATCH_H_
