// The SystemSharedMemory* RPCs (after Triton's system shared-memory
// extension) over a shm::Registry: a lease per client, kept by a
// server-streaming call whose end unregisters the lease's regions, and
// Register / Unregister / Status. Each first checks that the feature is on
// (FAILED_PRECONDITION) and that the peer is on this host
// (PERMISSION_DENIED).
//
//   SharedMemoryRpcs rpcs(registry);  // null: the feature is off
//   return rpcs.StartLease(context);  // from the generated callback method
#ifndef TENSOR_TRANSFORM_SERVER_RPC_SHARED_MEMORY_RPCS_H_
#define TENSOR_TRANSFORM_SERVER_RPC_SHARED_MEMORY_RPCS_H_

#include <grpcpp/grpcpp.h>

#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "proto/tensor_transform.pb.h"
#include "server/shm/registry.h"

namespace tensor_transform::server {

namespace v1 = ::tensor_transform::v1;

// OK when `registry` (null: --allow_shared_memory is off) may serve
// `context`'s peer: FailedPrecondition when off, PermissionDenied naming
// the peer when it is not on this host (shm/peer.h).
absl::Status SharedMemoryAccess(const shm::Registry* registry,
                                const grpc::ServerContextBase& context);

class SharedMemoryRpcs {
 public:
  // `registry` (null: off) must outlive the calls.
  explicit SharedMemoryRpcs(shm::Registry* registry) : registry_(registry) {}

  // The lease call: one message with the token, then open until the client
  // ends it (or EndLeases); its end unregisters the lease's regions.
  grpc::ServerWriteReactor<v1::SystemSharedMemoryLeaseResponse>* StartLease(
      grpc::CallbackServerContext* context);
  grpc::Status Register(const grpc::ServerContextBase& context,
                        const v1::SystemSharedMemoryRegisterRequest& request);
  grpc::Status Unregister(
      const grpc::ServerContextBase& context,
      const v1::SystemSharedMemoryUnregisterRequest& request);
  grpc::Status Status(const grpc::ServerContextBase& context,
                      const v1::SystemSharedMemoryStatusRequest& request,
                      v1::SystemSharedMemoryStatusResponse* response);

  // Ends every lease call with UNAVAILABLE: a draining server's leases
  // never end on their own. Safe while calls end concurrently.
  void EndLeases();

 private:
  class LeaseCall;
  void Remove(LeaseCall* call);

  shm::Registry* const registry_;
  // Recursive: ending a call under it may finish it at once, and its end
  // removes it.
  std::recursive_mutex mu_;
  absl::flat_hash_set<LeaseCall*> leases_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_SHARED_MEMORY_RPCS_H_
