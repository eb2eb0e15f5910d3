#include "client/shared_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tensor_transform::client {
namespace {

// 128 random bits as 32 hex digits: a name no other client guesses.
std::string RandomSuffix() {
  std::random_device random;
  std::string suffix;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&suffix, absl::Hex(random(), absl::kZeroPad8));
  }
  return suffix;
}

// Creates POSIX object `key` of `byte_size` bytes and maps all of it; the
// object is gone again on failure.
absl::StatusOr<absl::Span<uint8_t>> CreateAndMap(const std::string& key,
                                                 size_t byte_size) {
  const std::string path = absl::StrCat("/", key);
  const int fd =
      shm_open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("shm_open(", path, ")"));
  }
  // Allocated now rather than sized with ftruncate: a /dev/shm too small
  // for the region fails here (ENOSPC) instead of with SIGBUS at the first
  // write into the mapping.
  int error;
  do {
    error = posix_fallocate(fd, 0, static_cast<off_t>(byte_size));
  } while (error == EINTR);
  const char* step = "allocating ";
  void* base = MAP_FAILED;
  if (error == 0) {
    step = "mapping ";
    // MAP_POPULATE: the pages are mapped now, not faulted in one at a time
    // by the first writes.
    base = mmap(nullptr, byte_size, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_POPULATE, fd, 0);
    if (base == MAP_FAILED) error = errno;
  }
  close(fd);
  if (error != 0) {
    shm_unlink(path.c_str());
    return absl::ErrnoToStatus(
        error,
        absl::StrCat(step, byte_size, " bytes of shared memory in ", path,
                     " (/dev/shm: a container's holds 64 MiB unless "
                     "sized)"));
  }
  return absl::MakeSpan(static_cast<uint8_t*>(base), byte_size);
}

}  // namespace

absl::StatusOr<std::unique_ptr<SharedMemoryRegion>> SharedMemoryRegion::Create(
    TensorClient& client, size_t byte_size) {
  if (byte_size == 0) {
    return absl::InvalidArgumentError(
        "byte_size: 0, but a shared-memory region holds at least one byte");
  }
  const std::shared_ptr<SharedMemoryRegistry>& registry =
      client.shared_memory();
  absl::StatusOr<std::string> prefix = registry->KeyPrefix();
  if (!prefix.ok()) return prefix.status();
  // Before any object exists: a server that refuses shared memory says so.
  absl::Status leased = registry->OpenLease();
  if (!leased.ok()) return leased;
  const std::string suffix = RandomSuffix();
  const std::string key = *prefix + suffix;
  absl::StatusOr<absl::Span<uint8_t>> bytes = CreateAndMap(key, byte_size);
  if (!bytes.ok()) return bytes.status();
  const std::string name = absl::StrCat("tt_", suffix);
  const absl::Status registered = registry->Register(name, key, *bytes);
  // The server has the object open and mapped (or refused it): its name is
  // no longer needed.
  shm_unlink(absl::StrCat("/", key).c_str());
  if (!registered.ok()) {
    munmap(bytes->data(), bytes->size());
    return registered;
  }
  return std::unique_ptr<SharedMemoryRegion>(
      new SharedMemoryRegion(registry, name, key, *bytes));
}

SharedMemoryRegion::SharedMemoryRegion(
    std::shared_ptr<SharedMemoryRegistry> registry, std::string name,
    std::string key, absl::Span<uint8_t> bytes)
    : registry_(std::move(registry)),
      name_(std::move(name)),
      key_(std::move(key)),
      bytes_(bytes) {}

SharedMemoryRegion::~SharedMemoryRegion() {
  // A failed Unregister leaves the region to its lease's end; nothing here
  // can do better.
  registry_->Unregister(name_).IgnoreError();
  munmap(bytes_.data(), bytes_.size());
}

}  // namespace tensor_transform::client
