// Survives clients that shrink a shared-memory object while the server
// reads or writes its mapping, the way libwayland's wl_shm does: touching a
// page of a MAP_SHARED mapping beyond the end of its file raises SIGBUS, and
// a process-wide handler that finds the faulting address in a watched
// mapping maps anonymous zero pages over that whole mapping, marks it
// faulted and returns, so that the faulting instruction runs again on the
// zero page. The call then reports the region dead (FAILED_PRECONDITION)
// instead of the server dying. A SIGBUS anywhere else gets the disposition
// that was in place before (the default: the process dies, as it should).
//
//   InstallSigbusGuard();
//   absl::StatusOr<int> slot = WatchMapping(base, length);
//   ... compute in the mapping ...
//   if (MappingFaulted(*slot)) ...  // the object shrank under us
//   UnwatchMapping(*slot);  // before munmap
//
// Why not sealed memfds (F_SEAL_SHRINK): POSIX shared-memory objects, the
// objects other processes and containers open by name, cannot be sealed,
// and gRPC's public API cannot pass a file descriptor to the server.
#ifndef TENSOR_TRANSFORM_SERVER_SHM_SIGBUS_GUARD_H_
#define TENSOR_TRANSFORM_SERVER_SHM_SIGBUS_GUARD_H_

#include <cstddef>

#include "absl/status/statusor.h"

namespace tensor_transform::server::shm {

// Mappings watched at once, process-wide: the handler's fixed table.
inline constexpr int kMaxWatchedMappings = 4096;

// Installs the handler, once per process; later calls do nothing.
// Thread-safe. Internal when sigaction fails.
absl::Status InstallSigbusGuard();

// Watches [base, base + length), a whole mapping (page-aligned base), until
// UnwatchMapping. Its slot, or ResourceExhausted when kMaxWatchedMappings
// are watched already.
absl::StatusOr<int> WatchMapping(void* base, size_t length);

// Whether a SIGBUS hit the mapping of `slot`: it now holds zero pages.
bool MappingFaulted(int slot);

// Stops watching; call it before unmapping, once no thread touches the
// mapping any more.
void UnwatchMapping(int slot);

}  // namespace tensor_transform::server::shm

#endif  // TENSOR_TRANSFORM_SERVER_SHM_SIGBUS_GUARD_H_
