// Payload-sized buffers kept for reuse. A fresh 200 MB buffer costs ~0.7 s
// of page faults here (~27 ms with transparent huge pages); a reused one
// costs nothing. Outputs that are not computed in place (Apply, and every
// call whose received bytes are not the server's own) take their buffer
// from here, and gRPC gives it back once the response has been sent.
//
// Idle buffers are memory too: each is reserved in the server's memory
// budget while it waits, and the budget takes them back (Trim) before it
// refuses a call. So a small --memory_budget_bytes holds, idle memory
// included.
//
//   auto pool = BufferPool::Create(max_idle, &budget);
//   grpc::Slice out = pool->Take(bytes);  // uninitialised
//   ... compute into out, send it ...     // returns when unused
#ifndef TENSOR_TRANSFORM_SERVER_ADMISSION_BUFFER_POOL_H_
#define TENSOR_TRANSFORM_SERVER_ADMISSION_BUFFER_POOL_H_

#include <grpcpp/support/slice.h>

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

#include "server/admission/memory_budget.h"

namespace tensor_transform::server {

class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  // Keeps at most `max_idle_bytes` of unused buffers, each reserved in
  // `budget` (may be null: no budget) while idle; a returned buffer that
  // does not fit is freed.
  static std::shared_ptr<BufferPool> Create(size_t max_idle_bytes,
                                            MemoryBudget* budget);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  ~BufferPool();

  // A slice of exactly `size` uninitialised bytes: an idle buffer of at
  // least `size` and at most twice that, or a new one. Its memory comes back
  // to the pool when the last reference to the slice goes, even after the
  // pool's owner let go of it. Thread-safe.
  grpc::Slice Take(size_t size);

  // Frees every idle buffer and returns its reservation. Thread-safe.
  void Trim();

  // Stops reserving in the budget (its owner is going away) and frees
  // every idle buffer.
  void DetachBudget();

  size_t idle_bytes() const;

 private:
  struct Buffer;
  BufferPool(size_t max_idle_bytes, MemoryBudget* budget);
  static void Return(void* buffer);
  // Keeps `memory` idle when it fits; false when the caller must free it.
  bool KeepIdle(void* memory, size_t capacity);

  const size_t max_idle_;
  // A std::mutex, not an absl::Mutex: ThreadSanitizer sees pthread locks,
  // not those of the uninstrumented Abseil library.
  mutable std::mutex mu_;              // guards the members below
  MemoryBudget* budget_;               // null once detached
  std::multimap<size_t, void*> idle_;  // capacity -> memory
  size_t idle_bytes_ = 0;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_ADMISSION_BUFFER_POOL_H_
