// Google Benchmark suite for the core: every ReLU method and the gradient on
// 25 M float64 and float32 elements, out of place and in place, on one thread
// and on the pool, beside the memory floors of the same access patterns; the
// same array in 1 MiB pieces at a misaligned address through ReluRuns
// (core/runs.h), as a received message holds it; plus the sweeps behind the
// thread and streaming-store thresholds (core/kernel_options.h). Built by the
// normal build, not run by ctest; scripts/bench_kernels.sh runs it and turns
// its JSON into ratios.
//
//   build/core_benchmark --benchmark_filter='^relu/float64'
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/bench/buffers.h"
#include "core/bench/floors.h"
#include "core/fastest_method.h"
#include "core/relu.h"
#include "core/runs.h"
#include "core/thread_pool.h"

namespace tensor_transform::bench {
namespace {

using core::DType;
using core::KernelOptions;
using core::Method;

enum class Placement { kOut, kInX, kInG };

std::string PlacementName(Placement placement) {
  switch (placement) {
    case Placement::kOut:
      return "out";
    case Placement::kInX:
      return "in";
    case Placement::kInG:
      return "in_g";
  }
  return "unknown";
}

struct Case {
  std::string name;
  DType dtype;
  bool gradient;
  Method method;  // relu only
  bool upstream;  // gradient only
  Placement placement;
  KernelOptions options;
  size_t elements;
  size_t piece_bytes = 0;  // > 0: x in pieces of this size, through ReluRuns
  size_t x_offset = 0;     // x's bytes past a 64-byte boundary
};

constexpr size_t kPieceBytes = size_t{1} << 20;

// Bytes read and written by one call.
double Traffic(const Case& c) {
  const double bytes = c.elements * core::ItemSize(c.dtype);
  return bytes * (c.gradient && c.upstream ? 3 : 2);
}

// The runs of a case in pieces: x cut every c.piece_bytes (the last piece
// shorter), each piece computed in place or into its part of the one
// contiguous out. Empty for a single-array case.
std::vector<core::Run> Pieces(const Case& c, Buffers& b) {
  std::vector<core::Run> runs;
  if (c.piece_bytes == 0) return runs;
  const auto x = b.X(c.dtype, c.elements, c.x_offset),
             out = b.Out(c.dtype, c.elements);
  for (size_t at = 0; at < x.size(); at += c.piece_bytes) {
    const size_t n = std::min(c.piece_bytes, x.size() - at);
    const absl::Span<uint8_t> piece = x.subspan(at, n);
    runs.push_back(
        {piece,
         {},
         c.placement == Placement::kOut ? out.subspan(at, n) : piece});
  }
  return runs;
}

absl::Status RunCase(const Case& c, Buffers& b,
                     absl::Span<const core::Run> runs) {
  if (!runs.empty()) {
    return c.gradient ? core::ReluGradientRuns(c.dtype, runs, c.options)
                      : core::ReluRuns(c.method, c.dtype, runs, c.options);
  }
  const auto x = b.X(c.dtype, c.elements), g = b.G(c.dtype, c.elements),
             out = b.Out(c.dtype, c.elements);
  if (!c.gradient) {
    if (c.placement == Placement::kOut) {
      return core::Relu(c.method, c.dtype, x, out, c.options);
    }
    return core::ReluInPlace(c.method, c.dtype, x, c.options);
  }
  const absl::Span<uint8_t> target = c.placement == Placement::kOut   ? out
                                     : c.placement == Placement::kInX ? x
                                                                      : g;
  const absl::Span<const uint8_t> upstream =
      c.upstream ? absl::Span<const uint8_t>(g) : absl::Span<const uint8_t>();
  return core::ReluGradient(c.dtype, x, upstream, target, c.options);
}

void RegisterCase(const Case& c) {
  benchmark::RegisterBenchmark(c.name.c_str(),
                               [c](benchmark::State& state) {
                                 Buffers& b = Buffers::Get();
                                 b.Reset(c.dtype);
                                 for (auto _ : state) {
                                   const absl::Status s = RunCase(c, b, {});
                                   if (!s.ok()) {
                                     state.SkipWithError(s.ToString().c_str());
                                     break;
                                   }
                                 }
                                 state.SetBytesProcessed(static_cast<int64_t>(
                                     state.iterations() * Traffic(c)));
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

// The floor a kernel case is held to: its access pattern, with the stores
// that the floor table shows fastest for it (streaming where the output is a
// separate buffer, normal in place).
Floor FloorOf(const Case& c) {
  const bool two = c.gradient && c.upstream;
  if (c.placement == Placement::kOut) {
    return {two ? FloorPattern::kTwoInputs : FloorPattern::kCopy,
            FloorStores::kStreaming};
  }
  return {two ? FloorPattern::kTwoInPlace : FloorPattern::kInPlace,
          FloorStores::kNormal};
}

double Seconds(std::chrono::steady_clock::time_point from) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - from)
      .count();
}

// A kernel case paired with its floor: every iteration times one kernel call
// and one floor pass back to back (alternating which goes first), so both see
// the same machine even while other work comes and goes. The reported time is
// the kernel's; the counter floor_ratio is the median of the per-iteration
// kernel / floor ratios.
void RegisterPairedCase(const Case& c) {
  benchmark::RegisterBenchmark(
      c.name.c_str(),
      [c](benchmark::State& state) {
        Buffers& b = Buffers::Get();
        b.Reset(c.dtype, c.x_offset);
        const std::vector<core::Run> runs = Pieces(c, b);
        const Floor floor = FloorOf(c);
        const size_t bytes = c.elements * core::ItemSize(c.dtype);
        const size_t threads = c.options.threads == 0
                                   ? core::internal::UsableCpus()
                                   : c.options.threads;
        std::vector<double> ratios;
        for (auto _ : state) {
          const bool floor_first = ratios.size() % 2 == 1;
          double floor_s = 0;
          auto start = std::chrono::steady_clock::now();
          if (floor_first) {
            RunFloor(floor, b.X(c.dtype).data(), b.G(c.dtype).data(),
                     b.Out(c.dtype).data(), bytes, threads);
            floor_s = Seconds(start);
            start = std::chrono::steady_clock::now();
          }
          const absl::Status s = RunCase(c, b, runs);
          const double kernel_s = Seconds(start);
          if (!floor_first) {
            start = std::chrono::steady_clock::now();
            RunFloor(floor, b.X(c.dtype).data(), b.G(c.dtype).data(),
                     b.Out(c.dtype).data(), bytes, threads);
            floor_s = Seconds(start);
          }
          if (!s.ok()) {
            state.SkipWithError(s.ToString().c_str());
            break;
          }
          state.SetIterationTime(kernel_s);
          ratios.push_back(kernel_s / floor_s);
        }
        std::sort(ratios.begin(), ratios.end());
        if (!ratios.empty()) {
          state.counters["floor_ratio"] = ratios[ratios.size() / 2];
        }
        state.SetBytesProcessed(
            static_cast<int64_t>(state.iterations() * Traffic(c)));
      })
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

KernelOptions Threads(size_t threads) {
  KernelOptions options;
  options.threads = threads;
  return options;
}

void RegisterKernels(DType dtype, size_t threads) {
  const std::string suffix = absl::StrCat("/threads:", threads);
  const std::string type(core::DTypeName(dtype));
  for (Method method : core::kAllMethods) {
    for (Placement p : {Placement::kOut, Placement::kInX}) {
      RegisterPairedCase(
          {absl::StrCat("relu/", type, "/", core::MethodName(method), "/",
                        PlacementName(p), suffix),
           dtype, false, method, false, p, Threads(threads), kElements});
    }
  }
  for (Placement p : {Placement::kOut, Placement::kInX}) {
    RegisterPairedCase(
        {absl::StrCat("gradient/", type, "/plain/", PlacementName(p), suffix),
         dtype, true, Method::kMultiply, false, p, Threads(threads),
         kElements});
  }
  for (Placement p : {Placement::kOut, Placement::kInX, Placement::kInG}) {
    RegisterPairedCase({absl::StrCat("gradient/", type, "/upstream/",
                                     PlacementName(p), suffix),
                        dtype, true, Method::kMultiply, true, p,
                        Threads(threads), kElements});
  }
}

// The array in 1 MiB pieces through ReluRuns, with x's pieces at `x_offset`:
// relu (maximum) out of place into one contiguous output (with the default
// stores, and with normal stores for comparison), relu in place, and the
// gradient in place. Each case is paired with the floor of its access pattern
// on aligned buffers, so its ratio includes what the pieces and the
// misalignment cost.
void RegisterRuns(DType dtype, size_t threads, size_t x_offset) {
  const std::string prefix(core::DTypeName(dtype));
  const std::string suffix =
      absl::StrCat("/offset:", x_offset, "/threads:", threads);
  // Not FastestMethod: its pick can differ between runs on a busy machine,
  // and the case names must not. maximum is its usual pick here.
  const Method method = Method::kMaximum;
  const std::string relu =
      absl::StrCat("relu_runs/", prefix, "/", core::MethodName(method), "/");
  KernelOptions normal_stores = Threads(threads);
  normal_stores.streaming_min_bytes = SIZE_MAX;
  const Case cases[] = {
      {relu + "out" + suffix, dtype, false, method, false, Placement::kOut,
       Threads(threads), kElements},
      {relu + "out/stores:normal" + suffix, dtype, false, method, false,
       Placement::kOut, normal_stores, kElements},
      {relu + "in" + suffix, dtype, false, method, false, Placement::kInX,
       Threads(threads), kElements},
      {absl::StrCat("gradient_runs/", prefix, "/plain/in", suffix), dtype, true,
       Method::kMultiply, false, Placement::kInX, Threads(threads), kElements},
  };
  for (Case c : cases) {
    c.piece_bytes = kPieceBytes;
    c.x_offset = x_offset;
    RegisterPairedCase(c);
  }
}

void RegisterFloor(DType dtype, const Floor& floor, size_t threads) {
  const size_t bytes = kElements * core::ItemSize(dtype);
  const bool two = floor.pattern == FloorPattern::kTwoInputs ||
                   floor.pattern == FloorPattern::kTwoInPlace;
  benchmark::RegisterBenchmark(
      absl::StrCat("floor/", core::DTypeName(dtype), "/",
                   PatternName(floor.pattern), "/", StoresName(floor.stores),
                   "/threads:", threads)
          .c_str(),
      [=](benchmark::State& state) {
        Buffers& b = Buffers::Get();
        b.Reset(dtype);
        uint8_t* x = b.X(dtype).data();
        for (auto _ : state) {
          RunFloor(floor, x, b.G(dtype).data(), b.Out(dtype).data(), bytes,
                   threads);
        }
        state.SetBytesProcessed(
            static_cast<int64_t>(state.iterations() * bytes * (two ? 3 : 2)));
      })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}

void RegisterFloors(DType dtype, size_t threads) {
  RegisterFloor(dtype, {FloorPattern::kCopy, FloorStores::kMemcpy}, threads);
  for (FloorPattern pattern :
       {FloorPattern::kCopy, FloorPattern::kInPlace, FloorPattern::kTwoInputs,
        FloorPattern::kTwoInPlace}) {
    for (FloorStores stores : {FloorStores::kNormal, FloorStores::kStreaming}) {
      RegisterFloor(dtype, {pattern, stores}, threads);
    }
  }
}

// relu/maximum out of place on float64 at sizes around each threshold: one
// thread against the pool (normal stores), and normal against streaming
// stores (on the pool).
void RegisterSweeps(size_t pool_threads) {
  for (size_t bytes = size_t{64} << 10; bytes <= (size_t{32} << 20);
       bytes *= 2) {
    for (size_t threads : {size_t{1}, pool_threads}) {
      KernelOptions options = Threads(threads);
      options.parallel_min_bytes = 0;
      options.streaming_min_bytes = SIZE_MAX;
      RegisterCase({absl::StrCat("sweep_threads/float64/bytes:", bytes,
                                 "/threads:", threads),
                    DType::kFloat64, false, Method::kMaximum, false,
                    Placement::kOut, options, bytes / 8});
    }
  }
  for (size_t bytes = size_t{256} << 10; bytes <= (size_t{128} << 20);
       bytes *= 2) {
    for (bool streaming : {false, true}) {
      KernelOptions options;
      options.streaming_min_bytes = streaming ? 0 : SIZE_MAX;
      RegisterCase({absl::StrCat("sweep_stores/float64/bytes:", bytes, "/",
                                 streaming ? "streaming" : "normal"),
                    DType::kFloat64, false, Method::kMaximum, false,
                    Placement::kOut, options, bytes / 8});
    }
  }
}

void RegisterAll() {
  const size_t pool = core::internal::ThreadPool::Shared().size();
  std::vector<size_t> thread_counts = {1};
  if (pool > 1) thread_counts.push_back(pool);
  for (DType dtype : {DType::kFloat64, DType::kFloat32}) {
    for (size_t threads : thread_counts) {
      RegisterKernels(dtype, threads);
      RegisterFloors(dtype, threads);
    }
    for (size_t x_offset : {0, 3}) RegisterRuns(dtype, pool, x_offset);
  }
  RegisterSweeps(pool);
  benchmark::AddCustomContext("isa",
                              std::string(core::IsaName(core::BestIsa())));
  benchmark::AddCustomContext("pool_threads", std::to_string(pool));
  benchmark::AddCustomContext("parallel_min_bytes",
                              std::to_string(core::kParallelMinBytes));
  benchmark::AddCustomContext("streaming_min_bytes",
                              std::to_string(core::kStreamingMinBytes));
  for (DType dtype : {DType::kFloat64, DType::kFloat32}) {
    benchmark::AddCustomContext(
        absl::StrCat("fastest_method_", core::DTypeName(dtype)),
        std::string(core::MethodName(core::FastestMethod(dtype))));
  }
}

}  // namespace
}  // namespace tensor_transform::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  tensor_transform::bench::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
