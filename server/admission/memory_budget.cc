#include "server/admission/memory_budget.h"

namespace tensor_transform::server {

MemoryBudget::MemoryBudget(int64_t limit_bytes) : limit_(limit_bytes) {}

bool MemoryBudget::TryReserve(int64_t bytes, bool reclaim) {
  if (TryReserveOnce(bytes)) return true;
  if (!reclaim || !reclaimer_) return false;
  reclaimer_();
  return TryReserveOnce(bytes);
}

bool MemoryBudget::TryReserveOnce(int64_t bytes) {
  int64_t used = in_use_.load(std::memory_order_relaxed);
  do {
    // Written as a subtraction so that a huge `bytes` cannot overflow.
    if (bytes > limit_ - used) return false;
  } while (!in_use_.compare_exchange_weak(used, used + bytes,
                                          std::memory_order_relaxed));
  int64_t peak = peak_.load(std::memory_order_relaxed);
  while (used + bytes > peak &&
         !peak_.compare_exchange_weak(peak, used + bytes,
                                      std::memory_order_relaxed)) {
  }
  return true;
}

void MemoryBudget::Release(int64_t bytes) {
  in_use_.fetch_sub(bytes, std::memory_order_relaxed);
}

}  // namespace tensor_transform::server
