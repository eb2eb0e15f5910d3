// Memory shared with a tensor-transform server on the same host: a POSIX
// shared-memory object (/dev/shm) that this process maps and the server maps
// too, registered under the TensorClient's lease. Calls whose tensors lie in
// a region of their client send a reference (region, offset, byte size)
// instead of the bytes, and the result is written straight into the region:
// a call moves no payload at all (docs/shared-memory.md).
//
//   TensorClient client(MakeChannel("unix:/tmp/tt.sock"));
//   auto region = SharedMemoryRegion::Create(client, 2 * bytes);
//   if (!region.ok()) return region.status();  // e.g. the server's shm is off
//   absl::Span<uint8_t> x = (*region)->bytes().subspan(0, bytes);
//   // ... fill x ...
//   client.CallInto({Rpc::kApplyInPlace, std::nullopt, dtype, shape},
//                   {x, {}, x}, &result);  // in place, in the region
#ifndef TENSOR_TRANSFORM_CLIENT_SHARED_MEMORY_H_
#define TENSOR_TRANSFORM_CLIENT_SHARED_MEMORY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "client/shared_memory_registry.h"
#include "client/tensor_client.h"

namespace tensor_transform::client {

class SharedMemoryRegion {
 public:
  // Creates a POSIX shared-memory object of `byte_size` bytes named the
  // server's key prefix and a random suffix (shm_open with O_CREAT | O_EXCL,
  // mode 0600), allocates and maps it, and registers it with `client`'s
  // server under the client's lease (opened with the first region). The
  // object's name is unlinked once the server has mapped it: the memory
  // lives on in the two mappings, and nothing is left in /dev/shm if this
  // process dies.
  //
  // InvalidArgument for byte_size 0; ResourceExhausted when /dev/shm has no
  // room (a container's is 64 MiB unless sized); the server's status when it
  // refuses: FailedPrecondition when it runs without --allow_shared_memory,
  // PermissionDenied for a peer on another host, ResourceExhausted past its
  // per-client limits.
  static absl::StatusOr<std::unique_ptr<SharedMemoryRegion>> Create(
      TensorClient& client, size_t byte_size);

  // Unregisters the region (when its lease is still open) and unmaps it.
  // No call may be using it.
  ~SharedMemoryRegion();
  SharedMemoryRegion(const SharedMemoryRegion&) = delete;
  SharedMemoryRegion& operator=(const SharedMemoryRegion&) = delete;

  // The mapped memory, page-aligned.
  absl::Span<uint8_t> bytes() const { return bytes_; }
  // The name the server knows the region by (SystemSharedMemoryStatus).
  const std::string& name() const { return name_; }
  // The POSIX object's name, as registered (without the leading '/').
  const std::string& key() const { return key_; }

 private:
  SharedMemoryRegion(std::shared_ptr<SharedMemoryRegistry> registry,
                     std::string name, std::string key,
                     absl::Span<uint8_t> bytes);

  std::shared_ptr<SharedMemoryRegistry> registry_;
  std::string name_;
  std::string key_;
  absl::Span<uint8_t> bytes_;
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_SHARED_MEMORY_H_
