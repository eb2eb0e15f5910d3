// The shared-memory regions a server has mapped, each registered under a
// lease: a token handed to a client on its SystemSharedMemoryLease call,
// which ends (and with it every region registered under it) when that call
// ends. Region names are unique server-wide; limits apply per lease.
// Thread-safe.
//
//   auto registry = Registry::Create(options);  // StatusOr<unique_ptr<...>>
//   std::string lease = *(*registry)->OpenLease();
//   (*registry)->Register(lease, {"input", "/tensor_transform_x", 0, size});
//   absl::StatusOr<SharedSpan> x =
//       (*registry)->Resolve("input", 0, size, "tensor.shared_memory");
//   ... compute in x->bytes; x->region keeps the mapping alive ...
//   (*registry)->EndLease(lease);  // unmapped once no call holds it
#ifndef TENSOR_TRANSFORM_SERVER_SHM_REGISTRY_H_
#define TENSOR_TRANSFORM_SERVER_SHM_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/shm/options.h"
#include "server/shm/region.h"

namespace tensor_transform::server::shm {

// A SystemSharedMemoryRegisterRequest's fields but the lease.
struct RegisterSpec {
  std::string name;
  std::string key;
  uint64_t offset = 0;
  uint64_t byte_size = 0;
};

// Bytes of a region, resolved for one call; `region` keeps them mapped.
struct SharedSpan {
  std::shared_ptr<const Region> region;
  absl::Span<uint8_t> bytes;
  uint64_t object_offset = 0;  // of bytes[0] in the region's object
};

class Registry {
 public:
  // InvalidArgument for a bad prefix or limit; NotFound / PermissionDenied
  // when options.dir cannot be opened; Internal when the SIGBUS guard
  // cannot be installed.
  static absl::StatusOr<std::unique_ptr<Registry>> Create(
      const SharedMemoryOptions& options);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  const std::string& prefix() const { return options_.prefix; }

  // A new lease's unguessable token (128 random bits, hex).
  // ResourceExhausted when options.max_leases are alive.
  absl::StatusOr<std::string> OpenLease();
  // Unregisters every region of `lease` and forgets it.
  void EndLease(const std::string& lease);

  // InvalidArgument: a bad name or key, byte_size 0. NotFound: no such
  // lease, no such object. AlreadyExists: the name is registered.
  // ResourceExhausted: the lease's region or byte limit. And Region::Open's.
  absl::Status Register(const std::string& lease, const RegisterSpec& spec);
  // `name`, or every region of the lease when empty. NotFound: no such
  // lease or region. PermissionDenied: the region is another lease's.
  absl::Status Unregister(const std::string& lease, const std::string& name);
  // `name`'s spec, or every region's when empty. NotFound: no such region.
  absl::StatusOr<std::vector<RegionSpec>> Status(const std::string& name) const;

  // byte_size bytes at `offset` of region `name`, for a request's `field`
  // ("tensor.shared_memory"). NotFound: not registered. OutOfRange: beyond
  // the region. FailedPrecondition: the region shrank (Region::CheckIntact).
  absl::StatusOr<SharedSpan> Resolve(const std::string& name, uint64_t offset,
                                     uint64_t byte_size,
                                     absl::string_view field) const;

  // Mapped regions and their bytes, for the metrics.
  int64_t regions() const;
  int64_t mapped_bytes() const;

 private:
  struct Entry {
    std::string lease;
    uint64_t byte_size = 0;
    uint64_t ticket = 0;             // which Register reserved it
    std::shared_ptr<Region> region;  // null while it is being mapped
  };
  struct Lease {
    int regions = 0;
    uint64_t bytes = 0;
  };

  Registry(const SharedMemoryOptions& options, int dir_fd);
  // Checks the lease and limits and reserves the name; its ticket.
  absl::StatusOr<uint64_t> Reserve(const std::string& lease,
                                   const RegisterSpec& spec);
  // Installs the region mapped for `ticket`, or drops the reservation when
  // `region` is an error.
  absl::Status Complete(const RegisterSpec& spec, uint64_t ticket,
                        absl::StatusOr<std::unique_ptr<Region>> region);
  // Removes `name`'s entry; its region goes to `unmapped`. mu_ is held.
  void Erase(const std::string& name,
             std::vector<std::shared_ptr<Region>>* unmapped);
  // Erases every region of `lease`. mu_ is held.
  void EraseLease(const std::string& lease,
                  std::vector<std::shared_ptr<Region>>* unmapped);

  const SharedMemoryOptions options_;
  const int dir_fd_;
  mutable std::mutex mu_;                            // guards the members below
  absl::flat_hash_map<std::string, Entry> regions_;  // by name
  absl::flat_hash_map<std::string, Lease> leases_;   // by token
  uint64_t next_ticket_ = 1;
};

}  // namespace tensor_transform::server::shm

#endif  // TENSOR_TRANSFORM_SERVER_SHM_REGISTRY_H_
