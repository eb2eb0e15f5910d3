#include "server/allocator.h"

#include <malloc.h>

namespace tensor_transform::server {

void ConfigureAllocatorForLargePayloads() {
  // No mmap'd chunks: large buffers come from the heap and are reused.
  mallopt(M_MMAP_MAX, 0);
  // (A thread arena cannot grow past 64 MiB, so without mmap glibc serves a
  // payload from the main arena whatever thread asks.)
  // Never give the top of the heap back: the next payload reuses it warm.
  mallopt(M_TRIM_THRESHOLD, -1);
}

}  // namespace tensor_transform::server
