#include "server/admission/buffer_pool.h"

#include <cstdlib>
#include <new>

namespace tensor_transform::server {

// What a taken slice's destroy callback receives.
struct BufferPool::Buffer {
  BufferPool* pool;
  void* memory;
  size_t capacity;
};

BufferPool::~BufferPool() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [capacity, memory] : idle_) std::free(memory);
}

grpc::Slice BufferPool::Take(size_t size) {
  void* memory = nullptr;
  size_t capacity = size;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = idle_.lower_bound(size);
    if (it != idle_.end() && it->first <= 2 * size) {
      capacity = it->first;
      memory = it->second;
      idle_bytes_ -= capacity;
      idle_.erase(it);
    }
  }
  if (memory == nullptr) {
    memory = std::malloc(capacity == 0 ? 1 : capacity);
    if (memory == nullptr) throw std::bad_alloc();
  }
  return grpc::Slice(memory, size, &BufferPool::Return,
                     new Buffer{this, memory, capacity});
}

size_t BufferPool::idle_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_bytes_;
}

void BufferPool::Return(void* buffer) {
  auto* b = static_cast<Buffer*>(buffer);
  BufferPool* pool = b->pool;
  {
    std::lock_guard<std::mutex> lock(pool->mu_);
    if (pool->idle_bytes_ + b->capacity <= pool->max_idle_) {
      pool->idle_.emplace(b->capacity, b->memory);
      pool->idle_bytes_ += b->capacity;
      b->memory = nullptr;
    }
  }
  std::free(b->memory);
  delete b;
}

BufferPool& OutputBuffers() {
  static BufferPool* const pool = new BufferPool(size_t{512} << 20);
  return *pool;
}

}  // namespace tensor_transform::server
