// Memory floors: the fastest this machine moves bytes in the access patterns
// the kernels use, so that a kernel's time can be reported as a ratio to
// them. Each floor is the plainest loop for its pattern, 64 bytes at a time
// in the widest registers the CPU has, with normal or streaming
// (non-temporal) stores; the copy also has memcpy. The benchmark takes the
// fastest variant of each pattern as the floor.
//
//   Floor floor{FloorPattern::kCopy, FloorStores::kStreaming};
//   RunFloor(floor, x, nullptr, out, bytes, /*threads=*/2);
#ifndef TENSOR_TRANSFORM_CORE_BENCH_FLOORS_H_
#define TENSOR_TRANSFORM_CORE_BENCH_FLOORS_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace tensor_transform::bench {

enum class FloorPattern {
  kCopy,        // out = x: read 1, write 1 elsewhere (out-of-place kernels)
  kInPlace,     // x = f(x): read 1, write it back (in-place kernels)
  kTwoInputs,   // out = f(x, g): read 2, write 1 elsewhere
  kTwoInPlace,  // x = f(x, g): read 2, write one of them back
};

enum class FloorStores { kNormal, kStreaming, kMemcpy };

struct Floor {
  FloorPattern pattern;
  FloorStores stores;
};

// "copy", "in_place", "two_inputs", "two_in_place".
std::string PatternName(FloorPattern pattern);
// "normal", "streaming", "memcpy".
std::string StoresName(FloorStores stores);

// Runs one pass of `floor` over `bytes` (a multiple of 64) at x, g and out
// (64-byte aligned; g and out ignored where the pattern has none; kInPlace
// and kTwoInPlace write x), split over `threads` parts of the core's thread
// pool like the kernels. The data is left unchanged. kMemcpy exists only for
// kCopy.
void RunFloor(const Floor& floor, uint8_t* x, const uint8_t* g, uint8_t* out,
              size_t bytes, size_t threads);

}  // namespace tensor_transform::bench

#endif  // TENSOR_TRANSFORM_CORE_BENCH_FLOORS_H_
