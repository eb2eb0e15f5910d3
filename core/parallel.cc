#include "core/parallel.h"

#include "core/thread_pool.h"

namespace tensor_transform::core::internal {
namespace {

constexpr uintptr_t kCacheLine = 64;

struct Split {
  size_t n;
  size_t item;
  uintptr_t base;
  size_t parts;
  RangeFn fn;
  void* context;

  // Element index of part k's first element: k/parts of the way, moved up to
  // the next cache-line boundary. item divides 64 and base is item-aligned,
  // so that boundary is a whole element.
  size_t Boundary(size_t k) const {
    if (k == 0) return 0;
    if (k == parts) return n;
    const size_t even =
        static_cast<size_t>(static_cast<unsigned __int128>(n) * k / parts);
    const uintptr_t address = base + even * item;
    const uintptr_t aligned = (address + kCacheLine - 1) & ~(kCacheLine - 1);
    const size_t index = (aligned - base) / item;
    return index < n ? index : n;
  }
};

void RunPart(void* context, size_t k) {
  const Split& split = *static_cast<const Split*>(context);
  const size_t begin = split.Boundary(k), end = split.Boundary(k + 1);
  if (begin < end) split.fn(split.context, begin, end);
}

}  // namespace

void ParallelFor(size_t n, size_t item, const void* base, size_t parts,
                 RangeFn fn, void* context) {
  if (parts <= 1 || n == 0) {
    if (n > 0) fn(context, 0, n);
    return;
  }
  Split split{n, item, reinterpret_cast<uintptr_t>(base), parts, fn, context};
  ThreadPool::Shared().Run(parts, &RunPart, &split);
}

}  // namespace tensor_transform::core::internal
