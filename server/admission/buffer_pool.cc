#include "server/admission/buffer_pool.h"

#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

namespace tensor_transform::server {

// What a taken slice's destroy callback receives.
struct BufferPool::Buffer {
  std::shared_ptr<BufferPool> pool;
  void* memory;
  size_t capacity;
};

BufferPool::BufferPool(size_t max_idle_bytes, MemoryBudget* budget)
    : max_idle_(max_idle_bytes), budget_(budget) {}

std::shared_ptr<BufferPool> BufferPool::Create(size_t max_idle_bytes,
                                               MemoryBudget* budget) {
  return std::shared_ptr<BufferPool>(new BufferPool(max_idle_bytes, budget));
}

BufferPool::~BufferPool() { DetachBudget(); }

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
      // The call that takes it has reserved what it holds.
      if (budget_ != nullptr) budget_->Release(static_cast<int64_t>(capacity));
    }
  }
  if (memory == nullptr) {
    memory = std::malloc(capacity == 0 ? 1 : capacity);
    if (memory == nullptr) throw std::bad_alloc();
  }
  return grpc::Slice(memory, size, &BufferPool::Return,
                     new Buffer{shared_from_this(), memory, capacity});
}

void BufferPool::Trim() {
  std::vector<void*> freed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [capacity, memory] : idle_) freed.push_back(memory);
    if (budget_ != nullptr) budget_->Release(static_cast<int64_t>(idle_bytes_));
    idle_.clear();
    idle_bytes_ = 0;
  }
  for (void* memory : freed) std::free(memory);
}

void BufferPool::DetachBudget() {
  Trim();
  std::lock_guard<std::mutex> lock(mu_);
  budget_ = nullptr;
}

size_t BufferPool::idle_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_bytes_;
}

bool BufferPool::KeepIdle(void* memory, size_t capacity) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_bytes_ + capacity > max_idle_) return false;
  // Never reclaims for itself: an idle buffer only takes free room.
  if (budget_ != nullptr &&
      !budget_->TryReserve(static_cast<int64_t>(capacity), /*reclaim=*/false)) {
    return false;
  }
  idle_.emplace(capacity, memory);
  idle_bytes_ += capacity;
  return true;
}

void BufferPool::Return(void* buffer) {
  std::unique_ptr<Buffer> b(static_cast<Buffer*>(buffer));
  if (!b->pool->KeepIdle(b->memory, b->capacity)) std::free(b->memory);
}

}  // namespace tensor_transform::server
