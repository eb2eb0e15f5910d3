// What one received message asks the kernels to do, and doing it where the
// bytes lie: the request's data stays in the slices it arrived in
// (proto/tensor_slices.h), and the result is computed either into those
// very slices (the in-place RPCs, when the memory is the server's own) or
// into one pooled buffer, then sent from there. The unary RPCs and every
// stream chunk share this one path.
//
//   Operands ops{dtype, method, /*gradient=*/false, std::move(x), {}};
//   const bool in_place = rpc.in_place && ReceivedIntoOwnMemory(*context);
//   guard.Admit(*context, ops.x.size, HeldBytes(ops, in_place));
//   absl::StatusOr<Computed> out = Compute(ops, in_place, pool, cancelled);
//   // send out->data
#ifndef TENSOR_TRANSFORM_SERVER_RPC_TRANSFORM_H_
#define TENSOR_TRANSFORM_SERVER_RPC_TRANSFORM_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/slice.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/types.h"
#include "proto/tensor_slices.h"
#include "server/admission/buffer_pool.h"
#include "server/shm/region.h"

namespace tensor_transform::server {

// What of a unary call lies in registered shared-memory regions
// (server/shm): an operand there is one span of a region's mapping, with no
// pieces; it is neither received nor held by the server.
struct SharedOperands {
  bool x = false;
  bool upstream = false;
  // Where the result goes instead of into the response.
  std::optional<absl::Span<uint8_t>> out;
  // Mapped until the call lets go of them.
  std::vector<std::shared_ptr<const shm::Region>> regions;
};

struct Operands {
  core::DType dtype = core::DType::kFloat32;
  core::Method method = core::Method::kMaximum;
  bool gradient = false;
  tensor_slices::Data x;
  tensor_slices::Data upstream;  // gradient only; empty: all ones
  SharedOperands shared;
};

struct Computed {
  // The result, x.size bytes; none when it went to shared.out.
  std::vector<grpc::Slice> data;
  int64_t compute_ns = 0;  // the kernels' time
};

// Whether the bytes a call received are this process's own memory, so that
// computing in them changes nobody else's data: over a socket (TCP, Unix)
// gRPC reads them into its own buffers; an in-process channel hands the
// server the sender's buffers, which must stay untouched.
bool ReceivedIntoOwnMemory(const grpc::ServerContextBase& context);

// Bytes of `ops` that arrived in the request (not in shared memory).
int64_t ReceivedBytes(const Operands& ops);

// Bytes the call holds while `ops` is computed and its result sent.
int64_t HeldBytes(const Operands& ops, bool in_place);

// Computes `ops` into shared.out when set, else into x's own pieces when
// `in_place` (never when x is in shared memory), else into a buffer from
// `pool`. Validation has passed: sizes are consistent. Stops
// with CANCELLED between blocks once `cancelled()` says the call is over.
absl::StatusOr<Computed> Compute(Operands& ops, bool in_place, BufferPool& pool,
                                 absl::FunctionRef<bool()> cancelled);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_TRANSFORM_H_
