// A byte budget shared by every in-flight call: admission control for the
// payloads the handlers hold. A call reserves what it will hold before any
// payload processing and releases it when its response has been sent; a
// reservation that does not fit is refused at once, never queued, so an
// overload turns into RESOURCE_EXHAUSTED instead of an out-of-memory kill.
//
//   MemoryBudget budget(int64_t{1} << 30);
//   if (!budget.TryReserve(bytes)) return ResourceExhausted(...);
//   ...  // hold the payload
//   budget.Release(bytes);
#ifndef TENSOR_TRANSFORM_SERVER_ADMISSION_MEMORY_BUDGET_H_
#define TENSOR_TRANSFORM_SERVER_ADMISSION_MEMORY_BUDGET_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>

namespace tensor_transform::server {

class MemoryBudget {
 public:
  // `limit_bytes` >= 0: the most bytes reserved at once.
  explicit MemoryBudget(int64_t limit_bytes);

  // Reserves `bytes` (>= 0) when in_use() + bytes <= limit(); false, and
  // nothing reserved, otherwise. When they do not fit and `reclaim`, the
  // reclaimer runs first (it frees idle reservations: pooled buffers) and
  // the reservation is tried once more. Safe from any thread.
  bool TryReserve(int64_t bytes, bool reclaim = true);
  // Returns bytes reserved earlier.
  void Release(int64_t bytes);

  // Called when a reservation does not fit; set once, before any call.
  void SetReclaimer(std::function<void()> reclaimer) {
    reclaimer_ = std::move(reclaimer);
  }

  int64_t limit() const { return limit_; }
  int64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  // The highest in_use() so far.
  int64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  bool TryReserveOnce(int64_t bytes);

  const int64_t limit_;
  std::function<void()> reclaimer_;
  std::atomic<int64_t> in_use_{0};
  std::atomic<int64_t> peak_{0};
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_ADMISSION_MEMORY_BUDGET_H_
