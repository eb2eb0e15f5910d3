// Internal: splits an element-wise loop over a batch of runs (core/runs.h)
// across the shared thread pool, by the total size of all runs.
//
//   ParallelFor(runs, sizeof(double), 8, &RunSegment, &context);
//   // RunSegment(context, r, begin, end): elements [begin, end) of runs[r]
#ifndef TENSOR_TRANSFORM_CORE_PARALLEL_H_
#define TENSOR_TRANSFORM_CORE_PARALLEL_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "core/runs.h"

namespace tensor_transform::core::internal {

using SegmentFn = void (*)(void* context, size_t run, size_t begin, size_t end);

// How many parts to split a call over per thread. Parts are claimed one at a
// time, so a thread that gets less of a CPU (a busy machine) takes fewer of
// them instead of holding up the whole call, and the caller picks up parts
// that a still-sleeping worker has not reached.
inline constexpr size_t kPartsPerThread = 4;

// At most this many parts (their boundaries live in a stack array, so that a
// call allocates nothing): 4 per thread up to 64 threads.
inline constexpr size_t kMaxParts = 256;

// Runs fn(context, r, begin, end) over elements of `item` bytes (item divides
// 64; run r has runs[r].x.size() / item of them) so that every element of
// every run is covered exactly once, and returns when all are done. The
// elements of all runs, in order, are cut into `parts` (at most kMaxParts)
// parts of about equal size, which run on the shared pool (the calling thread
// works too); a part may cover the end of one run and the start of the next,
// and calls fn once per run it touches. A cut inside a run is moved to the
// first element starting on or after a 64-byte boundary of that run's out, so
// that no two threads write one cache line (when out is element-aligned) and
// each part's streaming stores start aligned. Parts may therefore be empty;
// fn is never called on an empty range. `parts` may exceed the pool's size
// (the parts then queue) and is 1 to run inline.
void ParallelFor(absl::Span<const Run> runs, size_t item, size_t parts,
                 SegmentFn fn, void* context);

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_PARALLEL_H_
