// How one Relu / ReluGradient call (or one batch of runs, core/runs.h) runs:
// which instruction set, how many threads, which stores. The defaults are the
// fastest measured choices (core/bench, README "Performance"); tests and
// benchmarks override them.
//
//   KernelOptions options;
//   options.threads = 1;  // the calling thread only
//   Relu(Method::kMaximum, DType::kFloat64, x, out, options);
#ifndef TENSOR_TRANSFORM_CORE_KERNEL_OPTIONS_H_
#define TENSOR_TRANSFORM_CORE_KERNEL_OPTIONS_H_

#include <cstddef>
#include <optional>

#include "core/isa.h"

namespace tensor_transform::core {

// Below this many bytes (of x), a call runs on the calling thread alone: a
// sleeping pool thread takes about 65 us to start (median, measured on the
// 2-CPU reference VM), while one thread moves 2 MiB out of place in about
// 130 us, so only from about there on does sharing the work pay (see the
// "threads" sweep of scripts/bench_kernels.sh).
inline constexpr size_t kParallelMinBytes = size_t{2} << 20;

// From this many bytes on, out-of-place float results are written with
// streaming stores. In the "stores" sweep (scripts/bench_kernels.sh) they win
// by 1.2-2x from 16 MiB on, and lose at 4-8 MiB, where normal stores leave
// the result in the cache for the next call.
inline constexpr size_t kStreamingMinBytes = size_t{16} << 20;

struct KernelOptions {
  // Instruction set of the float32 / float64 kernels; unset: BestIsa().
  // An unsupported set is FailedPrecondition. Other dtypes run SSE2 code.
  std::optional<Isa> isa;
  // Threads a large call is spread over (the caller and the shared pool's
  // workers, core/thread_pool.h); 0: one per usable CPU; 1: the calling
  // thread only. More than the pool has is allowed (parts then queue).
  // Results are the same bits whatever the split.
  size_t threads = 0;
  // Calls on fewer bytes than this (of x; a batch: all its runs together)
  // run on the calling thread only.
  size_t parallel_min_bytes = kParallelMinBytes;
  // Float results of at least this many bytes (a batch: all its runs
  // together, since many 1 MiB runs leave the cache like one large array),
  // written to a buffer that is neither input, use non-temporal stores: they
  // skip reading the destination into the cache first, which saves a third
  // of the memory traffic, but leave the result out of the cache. In place
  // they are slower, so never used there; nor where out is not aligned to its
  // element size (no head of whole elements aligns it for them). SIZE_MAX:
  // never.
  size_t streaming_min_bytes = kStreamingMinBytes;
};

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_KERNEL_OPTIONS_H_
