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

namespace tensor_transform::server {

class MemoryBudget {
 public:
  // `limit_bytes` >= 0: the most bytes reserved at once.
  explicit MemoryBudget(int64_t limit_bytes);

  // Reserves `bytes` (>= 0) when in_use() + bytes <= limit(); false, and
  // nothing reserved, otherwise. Lock-free, safe from any thread.
  bool TryReserve(int64_t bytes);
  // Returns bytes reserved earlier.
  void Release(int64_t bytes);

  int64_t limit() const { return limit_; }
  int64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  // The highest in_use() so far.
  int64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  const int64_t limit_;
  std::atomic<int64_t> in_use_{0};
  std::atomic<int64_t> peak_{0};
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_ADMISSION_MEMORY_BUDGET_H_
