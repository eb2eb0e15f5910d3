#include "core/parallel.h"

#include <algorithm>
#include <array>

#include "core/thread_pool.h"

namespace tensor_transform::core::internal {
namespace {

constexpr uintptr_t kCacheLine = 64;

// A point in the batch: element `element` of runs[run]; the end of a run is
// the same point as the start of the next.
struct Position {
  size_t run;
  size_t element;
};

struct Split {
  absl::Span<const Run> runs;
  size_t item;
  const Position* cuts;  // parts + 1 of them, in order
  SegmentFn fn;
  void* context;

  size_t Elements(size_t r) const { return runs[r].x.size() / item; }

  // Element `element` of run r moved up to the first element that starts on
  // or after the next cache-line boundary of its out, at most to its end.
  Position Aligned(size_t r, size_t element) const {
    const uintptr_t address =
        reinterpret_cast<uintptr_t>(runs[r].out.data()) + element * item;
    const uintptr_t boundary = (address + kCacheLine - 1) & ~(kCacheLine - 1);
    const size_t moved = element + (boundary - address + item - 1) / item;
    return {r, std::min(moved, Elements(r))};
  }

  // Part k: from cut k to cut k + 1, one call of fn per run it touches.
  void RunPart(size_t k) const {
    const Position from = cuts[k], to = cuts[k + 1];
    for (size_t r = from.run; r <= to.run && r < runs.size(); ++r) {
      const size_t begin = r == from.run ? from.element : 0;
      const size_t end = r == to.run ? to.element : Elements(r);
      if (begin < end) fn(context, r, begin, end);
    }
  }
};

// Cuts the batch of `total` elements into `parts` parts of about equal size:
// cuts[0] is the start, cuts[parts] the end, cut k is k/parts of the way,
// aligned by Split::Aligned. One pass over the runs.
void Cut(const Split& split, size_t total, size_t parts, Position* cuts) {
  cuts[0] = {0, 0};
  size_t r = 0, before = 0;  // elements in the runs before run r
  for (size_t k = 1; k < parts; ++k) {
    const size_t target =
        static_cast<size_t>(static_cast<unsigned __int128>(total) * k / parts);
    // target < total, so some run holds it.
    while (before + split.Elements(r) <= target) before += split.Elements(r++);
    cuts[k] = split.Aligned(r, target - before);
  }
  cuts[parts] = {split.runs.size(), 0};
}

void RunPart(void* context, size_t k) {
  static_cast<const Split*>(context)->RunPart(k);
}

}  // namespace

void ParallelFor(absl::Span<const Run> runs, size_t item, size_t parts,
                 SegmentFn fn, void* context) {
  std::array<Position, kMaxParts + 1> cuts;
  Split split{runs, item, cuts.data(), fn, context};
  size_t total = 0;
  for (size_t r = 0; r < runs.size(); ++r) total += split.Elements(r);
  if (total == 0) return;
  parts = std::clamp<size_t>(parts, 1, kMaxParts);
  Cut(split, total, parts, cuts.data());
  if (parts == 1) return split.RunPart(0);
  ThreadPool::Shared().Run(parts, &RunPart, &split);
}

}  // namespace tensor_transform::core::internal
