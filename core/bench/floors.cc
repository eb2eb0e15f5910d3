#include "core/bench/floors.h"

#include <cstring>

#include "core/bench/floor_loops.h"
#include "core/isa.h"
#include "core/parallel.h"

namespace tensor_transform::bench {
namespace {

constexpr size_t kLine = 64;

const FloorLoops& WidestLoops() {
  switch (core::BestIsa()) {
    case core::Isa::kAvx512:
      return kFloorLoopsAvx512;
    case core::Isa::kAvx2:
      return kFloorLoopsAvx2;
    case core::Isa::kSse2:
      break;
  }
  return kFloorLoopsSse2;
}

struct Pass {
  Floor floor;
  uint8_t* x;
  const uint8_t* g;
  uint8_t* out;
};

// Runs the pass over cache lines [begin, end) (of the one run).
void RunLines(void* context, size_t, size_t begin, size_t end) {
  const Pass& pass = *static_cast<const Pass*>(context);
  const size_t offset = begin * kLine, bytes = (end - begin) * kLine;
  uint8_t* x = pass.x + offset;
  const uint8_t* g = pass.g == nullptr ? nullptr : pass.g + offset;
  uint8_t* out = pass.out == nullptr ? nullptr : pass.out + offset;
  if (pass.floor.stores == FloorStores::kMemcpy) {
    std::memcpy(out, x, bytes);
    return;
  }
  const bool stream = pass.floor.stores == FloorStores::kStreaming;
  const FloorLoops& loops = WidestLoops();
  switch (pass.floor.pattern) {
    case FloorPattern::kCopy:
      return loops.copy(x, g, out, bytes, stream);
    case FloorPattern::kInPlace:
      return loops.in_place(x, g, out, bytes, stream);
    case FloorPattern::kTwoInputs:
      return loops.two_inputs(x, g, out, bytes, stream);
    case FloorPattern::kTwoInPlace:
      return loops.two_in_place(x, g, out, bytes, stream);
  }
}

}  // namespace

std::string PatternName(FloorPattern pattern) {
  switch (pattern) {
    case FloorPattern::kCopy:
      return "copy";
    case FloorPattern::kInPlace:
      return "in_place";
    case FloorPattern::kTwoInputs:
      return "two_inputs";
    case FloorPattern::kTwoInPlace:
      return "two_in_place";
  }
  return "unknown";
}

std::string StoresName(FloorStores stores) {
  switch (stores) {
    case FloorStores::kNormal:
      return "normal";
    case FloorStores::kStreaming:
      return "streaming";
    case FloorStores::kMemcpy:
      return "memcpy";
  }
  return "unknown";
}

void RunFloor(const Floor& floor, uint8_t* x, const uint8_t* g, uint8_t* out,
              size_t bytes, size_t threads) {
  Pass pass{floor, x, g, out};
  // Split as the kernels split a single array (core/execute.cc): one run of
  // 64-byte "elements".
  const core::Run run{{x, bytes}, {}, {x, bytes}};
  const size_t parts =
      threads > 1 ? threads * core::internal::kPartsPerThread : 1;
  core::internal::ParallelFor({&run, 1}, kLine, parts, &RunLines, &pass);
}

}  // namespace tensor_transform::bench
