// ReLU and its gradient over one array held in pieces ("runs"), such as a
// received message's slices, in one call spread over the shared thread pool.
//
//   std::vector<core::Run> runs;
//   for (const Piece& p : pieces) runs.push_back({p.bytes, {}, p.out});
//   absl::Status s = core::ReluRuns(core::Method::kMaximum,
//                                   core::DType::kFloat64, runs);
//
// Each run is computed exactly as core::Relu / core::ReluGradient would
// compute it alone (relu.h: the numeric contract, bit for bit), but the call
// splits the total bytes of all runs, not each run, over the threads (a part
// may cover the end of one run and the start of the next), so many small runs
// cost what one array of their total size costs. Buffers may sit at any byte
// address; their sizes are whole elements. Elements that lie across two
// pieces are the caller's to join (one small run of their own).
//
// Thresholds and stores follow `options` (core/kernel_options.h) for the
// total: a batch of at least options.parallel_min_bytes is split over the
// pool, and out-of-place float runs of a batch of at least
// options.streaming_min_bytes are written with streaming stores. No call
// allocates.
#ifndef TENSOR_TRANSFORM_CORE_RUNS_H_
#define TENSOR_TRANSFORM_CORE_RUNS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/kernel_options.h"
#include "core/types.h"

namespace tensor_transform::core {

// One piece of the array: x.size() bytes of elements. `upstream` (gradient
// only; empty: this run has no upstream gradient) and `out` have x's size.
// `out` may be exactly `x` or exactly `upstream` (in place) but must not
// partially overlap either. Across runs nothing may overlap that is written:
// no run's `out` may overlap another run's x, upstream or out (not checked:
// runs on different threads would race).
struct Run {
  absl::Span<const uint8_t> x;
  absl::Span<const uint8_t> upstream;
  absl::Span<uint8_t> out;
};

// runs[i].out = relu(runs[i].x) for every run, evaluated by `method`.
// Every run is validated before any is computed, so on an error nothing has
// been written. InvalidArgument, naming the run ("runs[3].out: 12 bytes, but
// runs[3].x has 16"): unknown method or dtype; a size that is not whole
// elements; out's size differs from x's; out partially overlaps x; upstream
// is not empty. FailedPrecondition: options.isa is not supported by this CPU.
absl::Status ReluRuns(Method method, DType dtype, absl::Span<const Run> runs,
                      const KernelOptions& options = {});

// runs[i].out = gradient(runs[i].x), or gradient(runs[i].x, runs[i].upstream)
// where that run's upstream is not empty. Errors as for ReluRuns, except that
// upstream may be given: then its size must equal x's, and out must be
// exactly upstream or disjoint from it.
absl::Status ReluGradientRuns(DType dtype, absl::Span<const Run> runs,
                              const KernelOptions& options = {});

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_RUNS_H_
