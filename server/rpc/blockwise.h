// The unary kernels run over arrays held in pieces (the slices a request
// arrived in, proto/tensor_slices.h) and block by block, so that a call its
// client cancelled, or whose deadline passed, stops within one block's time
// instead of running the kernel over the whole array for nobody; its buffers
// are freed as soon as the handler returns. Streams get the same from their
// chunks.
//
//   Pieces x = split.data[0].spans;  // ReLU in place, in the received slices
//   absl::Status s = ForEachRun(
//       [&] { return context.IsCancelled(); }, bytes, itemsize, {x},
//       [&](absl::Span<const absl::Span<uint8_t>> runs) {
//         return core::ReluInPlace(method, dtype, runs[0]);
//       });  // CANCELLED when the call went away between two blocks
#ifndef TENSOR_TRANSFORM_SERVER_RPC_BLOCKWISE_H_
#define TENSOR_TRANSFORM_SERVER_RPC_BLOCKWISE_H_

#include <cstddef>
#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"

namespace tensor_transform::server {

// Between two cancellation checks: big enough that checking costs nothing,
// small enough to take a few milliseconds.
inline constexpr size_t kBlockBytes = size_t{32} << 20;

// A byte array held in pieces, in order.
using Pieces = absl::Span<const absl::Span<uint8_t>>;

// The most arrays ForEachRun walks together (x, upstream, output).
inline constexpr size_t kMaxArrays = 3;

// Calls `compute(runs)` over `arrays` (at most kMaxArrays, each holding at
// least `bytes` bytes) from byte 0 to `bytes`: runs[i] is a stretch of
// arrays[i], all of one call cover the same byte range, a whole number of
// `itemsize` elements lying within one piece of each array and one block,
// each aligned to `itemsize` (as the core requires). Where a piece is not
// aligned, or an element lies across two pieces, the run is computed in
// scratch copies that are then written back. Cancelled when `cancelled()`,
// asked as each block starts, says the call is over; the bytes before were
// computed. Stops at the first error. `bytes` == 0 computes one empty run.
absl::Status ForEachRun(
    absl::FunctionRef<bool()> cancelled, size_t bytes, size_t itemsize,
    absl::Span<const Pieces> arrays,
    absl::FunctionRef<absl::Status(absl::Span<const absl::Span<uint8_t>> runs)>
        compute);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_BLOCKWISE_H_
