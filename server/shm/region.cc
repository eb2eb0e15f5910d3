#include "server/shm/region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/shm/sigbus_guard.h"

namespace tensor_transform::server::shm {
namespace {

// "region 'input' (key /tensor_transform_x)": how messages name a region.
std::string Describe(const RegionSpec& spec) {
  return absl::StrCat("shared memory region '", spec.name, "' (key ", spec.key,
                      ")");
}

absl::Status OpenError(int error, const std::string& dir,
                       const RegionSpec& spec) {
  const std::string what =
      absl::StrCat("key: '", spec.key, "' (", dir, "/", spec.object, ")");
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(
          absl::StrCat(what, " does not exist; create it with shm_open"));
    case ELOOP:
      return absl::PermissionDeniedError(absl::StrCat(
          what,
          " is a symbolic link; objects are opened without following "
          "links"));
    case EACCES:
    case EPERM:
    case EISDIR:
    case ENXIO:
    case ETXTBSY:
      return absl::PermissionDeniedError(absl::StrCat(
          what,
          " cannot be opened for reading and writing: ", std::strerror(error)));
    default:
      return absl::FailedPreconditionError(
          absl::StrCat(what, " cannot be opened: ", std::strerror(error)));
  }
}

// A regular file owned by one of `uids`, holding the whole region.
absl::Status CheckObject(const struct stat& st, const RegionSpec& spec,
                         absl::Span<const uid_t> uids) {
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(
        absl::StrCat("key: '", spec.key,
                     "' is not a regular file (a shared-memory object)"));
  }
  if (std::find(uids.begin(), uids.end(), st.st_uid) == uids.end()) {
    return absl::PermissionDeniedError(
        absl::StrCat("key: '", spec.key, "' is owned by uid ", st.st_uid,
                     ", but this server maps only objects owned by uid ",
                     absl::StrJoin(uids, ", "), " (--shared_memory_uids)"));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  uint64_t end;
  if (__builtin_add_overflow(spec.offset, spec.byte_size, &end) || end > size) {
    return absl::OutOfRangeError(
        absl::StrCat("offset + byte_size: ", spec.offset, " + ", spec.byte_size,
                     ", but key '", spec.key, "' holds ", size, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Region>> Region::Open(
    int dir_fd, const std::string& dir, const RegionSpec& spec,
    absl::Span<const uid_t> uids) {
  // O_NONBLOCK: a FIFO planted under the name must not block the open.
  const int fd = openat(dir_fd, spec.object.c_str(),
                        O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return OpenError(errno, dir, spec);
  std::unique_ptr<Region> region(new Region(spec, fd));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::InternalError(
        absl::StrCat("fstat of key '", spec.key, "': ", std::strerror(errno)));
  }
  absl::Status status = CheckObject(st, spec, uids);
  if (!status.ok()) return status;
  region->device_ = st.st_dev;
  region->inode_ = st.st_ino;
  status = region->Map();
  if (!status.ok()) return status;
  return region;
}

absl::Status Region::Map() {
  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t map_offset = spec_.offset - spec_.offset % page;
  map_length_ =
      static_cast<size_t>(spec_.offset - map_offset + spec_.byte_size);
  // Populated now, so that the first call does not take a minor fault per
  // page (about 50 000 for 200 MB).
  void* base =
      mmap(nullptr, map_length_, PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_POPULATE, fd_, static_cast<off_t>(map_offset));
  if (base == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat(Describe(spec_), ": mmap of ", map_length_,
                     " bytes failed: ", std::strerror(errno)));
  }
  map_base_ = base;
  data_ = static_cast<uint8_t*>(base) + (spec_.offset - map_offset);
  absl::StatusOr<int> slot = WatchMapping(map_base_, map_length_);
  if (!slot.ok()) return slot.status();
  guard_slot_ = *slot;
  return absl::OkStatus();
}

Region::~Region() {
  if (guard_slot_ >= 0) UnwatchMapping(guard_slot_);
  if (map_base_ != nullptr) munmap(map_base_, map_length_);
  close(fd_);
}

absl::Status Region::CheckIntact() const {
  if (MappingFaulted(guard_slot_)) {
    return absl::FailedPreconditionError(absl::StrCat(
        Describe(spec_),
        " shrank during a call (its object was truncated): its bytes are "
        "lost to this server; unregister it and register it again"));
  }
  struct stat st;
  if (fstat(fd_, &st) != 0) {
    return absl::InternalError(
        absl::StrCat(Describe(spec_), ": fstat: ", std::strerror(errno)));
  }
  const uint64_t end = spec_.offset + spec_.byte_size;  // checked at Open
  if (static_cast<uint64_t>(st.st_size) < end) {
    return absl::FailedPreconditionError(absl::StrCat(
        Describe(spec_), ": its object holds ", st.st_size,
        " bytes now, but the region ends at byte ", end,
        "; it shrank after registration: unregister it and register it "
        "again"));
  }
  return absl::OkStatus();
}

}  // namespace tensor_transform::server::shm
