// Payload-sized buffers kept for reuse. A fresh 200 MB buffer costs ~0.7 s
// of page faults here (~27 ms with transparent huge pages); a reused one
// costs nothing. Unary Apply takes its output buffer from here, and gRPC
// gives it back once the response has been sent.
//
//   grpc::Slice out = OutputBuffers().Take(bytes);  // uninitialised
//   ... compute into out, send it ...               // returns when unused
#ifndef TENSOR_TRANSFORM_SERVER_ADMISSION_BUFFER_POOL_H_
#define TENSOR_TRANSFORM_SERVER_ADMISSION_BUFFER_POOL_H_

#include <grpcpp/support/slice.h>

#include <cstddef>
#include <map>
#include <mutex>

namespace tensor_transform::server {

class BufferPool {
 public:
  // Keeps at most `max_idle_bytes` of unused buffers; more are freed.
  explicit BufferPool(size_t max_idle_bytes) : max_idle_(max_idle_bytes) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  ~BufferPool();

  // A slice of exactly `size` uninitialised bytes: an idle buffer of at
  // least `size` and at most twice that, or a new one. Its memory comes back
  // to the pool when the last reference to the slice goes. Thread-safe.
  grpc::Slice Take(size_t size);

  size_t idle_bytes() const;

 private:
  struct Buffer;
  static void Return(void* buffer);

  const size_t max_idle_;
  // A std::mutex, not an absl::Mutex: ThreadSanitizer sees pthread locks,
  // not those of the uninstrumented Abseil library.
  mutable std::mutex mu_;              // guards the members below
  std::multimap<size_t, void*> idle_;  // capacity -> memory
  size_t idle_bytes_ = 0;
};

// The process's pool for unary outputs: idle buffers up to 512 MiB (two
// 200 MB payloads). Never destroyed, so that a slice released late still
// finds it.
BufferPool& OutputBuffers();

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_ADMISSION_BUFFER_POOL_H_
