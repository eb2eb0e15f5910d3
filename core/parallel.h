// Internal: splits an element-wise loop over the shared thread pool.
//
//   ParallelFor(n, sizeof(double), out, 2, &RunRange, &context);
//   // RunRange(context, begin, end) for [0, k) and [k, n)
#ifndef TENSOR_TRANSFORM_CORE_PARALLEL_H_
#define TENSOR_TRANSFORM_CORE_PARALLEL_H_

#include <cstddef>
#include <cstdint>

namespace tensor_transform::core::internal {

using RangeFn = void (*)(void* context, size_t begin, size_t end);

// How many parts to split a call over per thread. Parts are claimed one at a
// time, so a thread that gets less of a CPU (a busy machine) takes fewer of
// them instead of holding up the whole call, and the caller picks up parts
// that a still-sleeping worker has not reached.
inline constexpr size_t kPartsPerThread = 4;

// Runs fn(context, begin, end) over `parts` consecutive ranges covering
// [0, n) of elements of `item` bytes starting at `base`, on the shared pool
// (the calling thread works too), and returns when all are done. Range
// boundaries fall on 64-byte cache-line boundaries of `base`, so no two
// threads write one cache line and each range's streaming stores start
// aligned; a range may therefore be empty, and is then skipped. `parts` may
// exceed the pool's size (the parts then queue) and is 1 to run inline.
void ParallelFor(size_t n, size_t item, const void* base, size_t parts,
                 RangeFn fn, void* context);

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_PARALLEL_H_
