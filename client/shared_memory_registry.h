// A TensorClient's side of the server's shared-memory extension: its lease
// (SystemSharedMemoryLease, opened on the first region and held open, a read
// pending on a completion queue no thread waits on, so that the server drops
// every region of it when this process ends or closes it), the Register /
// Unregister calls, and which memory of this process lies in a registered
// region, so that calls on that memory send references instead of bytes
// (client/shared_call.h). SharedMemoryRegion (client/shared_memory.h) is what
// applications use.
//
//   std::shared_ptr<SharedMemoryRegistry> registry = client.shared_memory();
//   std::optional<v1::SharedMemoryRef> ref = registry->Find(bytes);
#ifndef TENSOR_TRANSFORM_CLIENT_SHARED_MEMORY_REGISTRY_H_
#define TENSOR_TRANSFORM_CLIENT_SHARED_MEMORY_REGISTRY_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "proto/tensor_transform.grpc.pb.h"

namespace tensor_transform::client {

class SharedMemoryRegistry {
 public:
  explicit SharedMemoryRegistry(std::shared_ptr<grpc::Channel> channel);
  // Ends the lease (Close).
  ~SharedMemoryRegistry();
  SharedMemoryRegistry(const SharedMemoryRegistry&) = delete;
  SharedMemoryRegistry& operator=(const SharedMemoryRegistry&) = delete;

  // What every key must start with: the server's shared_memory_prefix
  // (Describe, asked once). The server's status when Describe fails.
  absl::StatusOr<std::string> KeyPrefix();

  // Opens the lease unless one is open: the server's status when it refuses
  // (FAILED_PRECONDITION when its shared memory is off, PERMISSION_DENIED
  // for a remote peer, UNIMPLEMENTED for a server without the extension).
  absl::Status OpenLease();

  // Registers `memory`, the mapping of all of POSIX object `key` from its
  // start, as region `name` under the lease (opened if needed); Find then
  // reports the spans inside it. The server's status on failure.
  absl::Status Register(const std::string& name, const std::string& key,
                        absl::Span<uint8_t> memory);

  // Forgets region `name` and unregisters it on the server while its lease
  // is open. Returns the server's status (OK when nothing was registered).
  absl::Status Unregister(const std::string& name);

  // Where `bytes` lie when all of them are in one registered region;
  // nullopt for an empty span or memory outside every region. Thread-safe
  // and cheap: calls ask it for each operand.
  std::optional<v1::SharedMemoryRef> Find(
      absl::Span<const uint8_t> bytes) const;

  // Ends the lease: the server unregisters and unmaps every region of it,
  // and Find no longer reports them (their memory stays mapped until their
  // SharedMemoryRegion objects go). A later Register opens a new lease.
  void Close();

 private:
  class Lease;
  struct Entry {
    std::string name;
    size_t size = 0;
  };

  // The token of the open lease, opening one if needed.
  absl::StatusOr<std::string> LeaseToken();

  std::unique_ptr<v1::TensorTransform::Stub> stub_;
  std::mutex lease_mu_;  // held while a lease opens or closes
  std::unique_ptr<Lease> lease_;
  std::optional<std::string> prefix_;  // guarded by lease_mu_
  mutable std::mutex regions_mu_;
  std::map<uintptr_t, Entry> regions_;  // by base address
  // regions_.size(): calls of a client without regions skip the lock.
  std::atomic<size_t> region_count_{0};
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_SHARED_MEMORY_REGISTRY_H_
