// The kernels run over arrays held in pieces (the slices a request arrived
// in, proto/tensor_slices.h), block by block: each block is handed to the
// core as one batch of runs (core/runs.h), which spreads it over the thread
// pool and reads and writes the pieces where they lie, at any byte address.
// Between blocks a call its client cancelled, or whose deadline passed,
// stops instead of running the kernel over the whole array for nobody.
//
//   Arrays arrays{x.spans, /*out=*/x.spans, /*upstream=*/{}};  // in place
//   absl::Status s = ForEachBlock(
//       [&] { return context.IsCancelled(); }, bytes, itemsize, arrays,
//       [&](absl::Span<const core::Run> runs) {
//         return core::ReluRuns(method, dtype, runs);
//       });  // CANCELLED when the call went away between two blocks
#ifndef TENSOR_TRANSFORM_SERVER_RPC_BLOCKWISE_H_
#define TENSOR_TRANSFORM_SERVER_RPC_BLOCKWISE_H_

#include <cstddef>
#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/runs.h"

namespace tensor_transform::server {

// Between two cancellation checks: big enough that checking costs nothing,
// small enough to take a few milliseconds.
inline constexpr size_t kBlockBytes = size_t{32} << 20;

// A byte array held in pieces, in order.
using Pieces = absl::Span<const absl::Span<uint8_t>>;

// The arrays of one computation, each holding at least the bytes computed.
struct Arrays {
  Pieces x;
  Pieces out;       // may be x's very pieces: in place
  Pieces upstream;  // empty: none
};

// Calls `compute(runs)` block by block from byte 0 to `bytes`: the runs of
// one call cover one block (at most kBlockBytes) of every array, in order,
// each run a whole number of `itemsize` elements lying within one piece of
// each array. An element that lies across two pieces of some array is
// gathered into a run of its own in scratch memory and written back once
// `compute` returns. CANCELLED when `cancelled()`, asked as each block
// starts, says the call is over (the blocks before were computed);
// Internal when an array is shorter than `bytes`. Stops at the first error.
absl::Status ForEachBlock(
    absl::FunctionRef<bool()> cancelled, size_t bytes, size_t itemsize,
    const Arrays& arrays,
    absl::FunctionRef<absl::Status(absl::Span<const core::Run> runs)> compute);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_BLOCKWISE_H_
