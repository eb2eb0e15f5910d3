// What a server allows of shared-memory tensors (docs/shared-memory.md):
// the SystemSharedMemory* RPCs and requests naming regions instead of
// carrying bytes. Off by default.
//
//   SharedMemoryOptions options;
//   options.enabled = true;  // --allow_shared_memory
//   options.dir = "/dev/shm";
#ifndef TENSOR_TRANSFORM_SERVER_SHM_OPTIONS_H_
#define TENSOR_TRANSFORM_SERVER_SHM_OPTIONS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tensor_transform::server {

struct SharedMemoryOptions {
  // Off: every SystemSharedMemory* RPC and every request naming a region
  // gets FAILED_PRECONDITION.
  bool enabled = false;
  // Where the POSIX shared-memory objects live (shm_open's directory on
  // Linux); a Pod mounts an emptyDir shared with its app container there.
  std::string dir = "/dev/shm";
  // Every key starts with it (after an optional '/'): 1-64 of
  // [A-Za-z0-9_.-], not starting with '.'. The server can open no other
  // object of `dir`.
  std::string prefix = "tensor_transform_";
  // Owners an object may have; empty: the server's effective uid.
  std::vector<uid_t> uids;
  // Per lease (one per client connection that asks for one).
  int max_regions = 16;
  int64_t max_bytes = int64_t{16} << 30;
  // Leases alive at once.
  int max_leases = 256;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_SHM_OPTIONS_H_
