// The loops behind the memory floors (floors.h), compiled once per
// instruction set like the float kernels (core/bench/floor_loops.cc, see
// tt_per_isa in CMakeLists.txt); floors.cc picks the table for the widest set
// the CPU runs.
//
//   kFloorLoopsAvx512.copy(x, nullptr, out, bytes, /*stream=*/true);
//
// Every loop takes 64-byte-aligned pointers and a multiple of 64 bytes, and
// leaves the data unchanged (out ends up equal to x).
#ifndef TENSOR_TRANSFORM_CORE_BENCH_FLOOR_LOOPS_H_
#define TENSOR_TRANSFORM_CORE_BENCH_FLOOR_LOOPS_H_

#include <cstddef>
#include <cstdint>

namespace tensor_transform::bench {

struct FloorLoops {
  using Loop = void (*)(uint8_t* x, const uint8_t* g, uint8_t* out,
                        size_t bytes, bool stream);
  Loop copy;          // out = x
  Loop in_place;      // x = x ^ 0
  Loop two_inputs;    // out = x | (g & 0)
  Loop two_in_place;  // x = x | (g & 0)
};

extern const FloorLoops kFloorLoopsSse2;
extern const FloorLoops kFloorLoopsAvx2;
extern const FloorLoops kFloorLoopsAvx512;

}  // namespace tensor_transform::bench

#endif  // TENSOR_TRANSFORM_CORE_BENCH_FLOOR_LOOPS_H_
