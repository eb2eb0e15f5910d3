// The operands of a unary request that name shared memory instead of
// carrying bytes (Tensor.shared_memory, ApplyRequest.output,
// GradientRequest.output): resolved to the bytes of registered regions
// (server/shm/registry.h), which the call then holds mapped.
//
//   SharedRefs refs;
//   refs.x = &request.tensor().shared_memory();  // when set
//   refs.in_place = true;                         // ApplyInPlace
//   absl::Status s = AttachSharedMemory(registry, context, refs, &ops);
//   ... compute ops ...
//   s = CheckSharedIntact(ops);  // a region shrank during the call?
#ifndef TENSOR_TRANSFORM_SERVER_RPC_SHARED_OPERANDS_H_
#define TENSOR_TRANSFORM_SERVER_RPC_SHARED_OPERANDS_H_

#include <grpcpp/server_context.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/tensor_transform.pb.h"
#include "server/rpc/transform.h"
#include "server/shm/registry.h"

namespace tensor_transform::server {

// A validated request's references (server/rpc/validation.h: byte sizes
// match the tensor); null: inline or absent.
struct SharedRefs {
  const v1::SharedMemoryRef* x = nullptr;
  const v1::SharedMemoryRef* upstream = nullptr;
  const v1::SharedMemoryRef* output = nullptr;
  absl::string_view x_field = "tensor";  // "tensor" (Apply*) or "x"
  // ApplyInPlace: with x in shared memory and no output, the result
  // overwrites x's own bytes.
  bool in_place = false;
};

// Where the result goes in shared memory (output, or x in place); null:
// into the response.
const v1::SharedMemoryRef* ResultRef(const SharedRefs& refs);

// Points `ops`' operands named in `refs` at their regions' bytes and holds
// the regions. Nothing to do when refs names none. FailedPrecondition /
// PermissionDenied: shared memory is off / the peer is not local.
// NotFound, OutOfRange, FailedPrecondition: as Registry::Resolve.
// InvalidArgument: the output partially overlaps an input (it may be
// exactly an input's bytes, or apart from them).
absl::Status AttachSharedMemory(const shm::Registry* registry,
                                const grpc::ServerContextBase& context,
                                const SharedRefs& refs, Operands* ops);

// FailedPrecondition when a region `ops` holds shrank: its bytes (the
// result's, or the inputs') are not the client's. Asked once computed.
absl::Status CheckSharedIntact(const Operands& ops);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_SHARED_OPERANDS_H_
