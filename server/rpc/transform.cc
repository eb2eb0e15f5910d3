#include "server/rpc/transform.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "core/runs.h"
#include "server/rpc/blockwise.h"

namespace tensor_transform::server {

bool ReceivedIntoOwnMemory(const grpc::ServerContextBase& context) {
  const std::string peer = context.peer();
  return absl::StartsWith(peer, "ipv4:") || absl::StartsWith(peer, "ipv6:") ||
         absl::StartsWith(peer, "unix:");
}

int64_t ReceivedBytes(const Operands& ops) {
  return static_cast<int64_t>((ops.shared.x ? 0 : ops.x.size) +
                              (ops.shared.upstream ? 0 : ops.upstream.size));
}

int64_t HeldBytes(const Operands& ops, bool in_place) {
  const bool output_buffer = !in_place && !ops.shared.out.has_value();
  return ReceivedBytes(ops) +
         (output_buffer ? static_cast<int64_t>(ops.x.size) : 0);
}

absl::StatusOr<Computed> Compute(Operands& ops, bool in_place, BufferPool& pool,
                                 absl::FunctionRef<bool()> cancelled) {
  Computed result;
  std::vector<absl::Span<uint8_t>> out_spans;
  if (ops.shared.out.has_value()) {
    out_spans.push_back(*ops.shared.out);
  } else if (in_place) {
    out_spans = ops.x.spans;
  } else {
    grpc::Slice out = pool.Take(ops.x.size);
    // The pool's memory: written here, then only read by gRPC.
    out_spans.emplace_back(const_cast<uint8_t*>(out.begin()), out.size());
    result.data.push_back(std::move(out));
  }
  Arrays arrays{ops.x.spans, out_spans, ops.upstream.spans};
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = ForEachBlock(
      cancelled, ops.x.size, core::ItemSize(ops.dtype), arrays,
      [&](absl::Span<const core::Run> runs) {
        return ops.gradient ? core::ReluGradientRuns(ops.dtype, runs)
                            : core::ReluRuns(ops.method, ops.dtype, runs);
      });
  result.compute_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - start)
                          .count();
  if (!status.ok()) return status;
  if (in_place && !ops.shared.out.has_value()) {
    result.data = std::move(ops.x.pieces);
  }
  return result;
}

}  // namespace tensor_transform::server
