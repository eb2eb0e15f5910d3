// Large unary arrays are computed block by block, so that a call its client
// cancelled, or whose deadline passed, stops within one block's time instead
// of running the kernel over the whole array for nobody; its buffers are
// freed as soon as the handler returns. Streams get the same from their
// chunks.
//
//   absl::Status s = ForEachBlock(*context, bytes, itemsize,
//       [&](size_t offset, size_t length) {
//         return core::ReluInPlace(method, dtype, data.subspan(offset,
//         length));
//       });  // CANCELLED when the call went away between two blocks
#ifndef TENSOR_TRANSFORM_SERVER_BLOCKWISE_H_
#define TENSOR_TRANSFORM_SERVER_BLOCKWISE_H_

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace tensor_transform::server {

// Big enough that the per-call overhead of the kernel (waking its threads) is
// lost in the work, small enough to take a few milliseconds.
inline constexpr size_t kBlockBytes = size_t{32} << 20;

// Calls `compute(offset, length)` over [0, bytes) in consecutive blocks of
// about kBlockBytes, each a whole number of `itemsize` elements, and stops
// at the first error. Cancelled when `cancelled()` (asked before each block)
// says the call is over; the blocks before were computed. `bytes` == 0
// computes one empty block.
absl::Status ForEachBlock(
    absl::FunctionRef<bool()> cancelled, size_t bytes, size_t itemsize,
    absl::FunctionRef<absl::Status(size_t offset, size_t length)> compute);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_BLOCKWISE_H_
