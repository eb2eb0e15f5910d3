// One registered shared-memory region: a byte range of a POSIX
// shared-memory object, opened without following links, checked (a regular
// file, an allowed owner, the range inside the file), mapped once with its
// pages populated, and watched by the SIGBUS guard (sigbus_guard.h) until
// it is destroyed. Calls share it through a shared_ptr, so that
// unregistering it while a call computes in it unmaps it only after that
// call.
//
//   RegionSpec spec{"input", "/tensor_transform_x", "tensor_transform_x", 0,
//                   size};
//   absl::StatusOr<std::unique_ptr<Region>> region =
//       Region::Open(dir_fd, "/dev/shm", spec, {geteuid()});
//   absl::Span<uint8_t> bytes = (*region)->bytes();
#ifndef TENSOR_TRANSFORM_SERVER_SHM_REGION_H_
#define TENSOR_TRANSFORM_SERVER_SHM_REGION_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace tensor_transform::server::shm {

struct RegionSpec {
  std::string name;
  std::string key;     // as the client gave it
  std::string object;  // the key's file name in the directory (names.h)
  uint64_t offset = 0;
  uint64_t byte_size = 0;  // > 0
};

class Region {
 public:
  // Opens `spec.object` in `dir_fd` (its path `dir`, for messages) and maps
  // the region. NotFound: no such object. PermissionDenied: a symbolic link,
  // not a regular file, not openable, or owned by a uid not in `uids`.
  // OutOfRange: offset + byte_size beyond the object's size.
  // ResourceExhausted: it cannot be mapped, or too many regions are.
  static absl::StatusOr<std::unique_ptr<Region>> Open(
      int dir_fd, const std::string& dir, const RegionSpec& spec,
      absl::Span<const uid_t> uids);
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  const RegionSpec& spec() const { return spec_; }
  // The region's bytes in this process, byte_size of them.
  absl::Span<uint8_t> bytes() const { return {data_, spec_.byte_size}; }
  // Identify the object: two regions overlap in memory only if these match
  // and their byte ranges in the object overlap.
  dev_t device() const { return device_; }
  ino_t inode() const { return inode_; }

  // FailedPrecondition when the object no longer holds the whole region (it
  // was shrunk after registration) or a SIGBUS hit the mapping (shrunk
  // during a call): the region's bytes are not the client's any more, and
  // stay so until it is unregistered and registered again.
  absl::Status CheckIntact() const;

 private:
  Region(const RegionSpec& spec, int fd) : spec_(spec), fd_(fd) {}
  absl::Status Map();

  const RegionSpec spec_;
  const int fd_;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  void* map_base_ = nullptr;
  size_t map_length_ = 0;
  uint8_t* data_ = nullptr;
  int guard_slot_ = -1;
};

}  // namespace tensor_transform::server::shm

#endif  // TENSOR_TRANSFORM_SERVER_SHM_REGION_H_
