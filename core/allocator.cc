#include "core/allocator.h"

#include <malloc.h>

namespace tensor_transform::core {

void ConfigureAllocatorForLargePayloads() {
  // No mmap'd chunks: large buffers come from the heap and are reused.
  mallopt(M_MMAP_MAX, 0);
  // (A thread arena cannot grow past 64 MiB, so without mmap glibc serves a
  // payload from the main arena whatever thread asks.)
  // Never give the top of the heap back: the next payload reuses it warm.
  mallopt(M_TRIM_THRESHOLD, -1);
  // One arena for every thread. gRPC's receive buffers (a 200 MB message
  // arrives in hundreds of them) are allocated by whichever thread polls the
  // socket and freed by the handler; with an arena per thread each arena
  // grew to hold a whole message and RSS grew call after call (870 MiB
  // after 32 unary 200 MB Applies against 420 MiB with one arena), and
  // memory freed in one arena was faulted in afresh in another (unary
  // round trips 160-190 ms against 130-140 ms). Small allocations stay
  // per-thread in glibc's tcache, so the shared arena is rarely contended.
  mallopt(M_ARENA_MAX, 1);
}

}  // namespace tensor_transform::core
