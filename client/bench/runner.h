// The per-method latency benchmark: every (rpc, method, mode) on one tensor,
// every response verified against the core's scalar reference. Rows of mode
// shm run in a shared-memory region (the server must allow it): ApplyInPlace
// and Gradient in place, Apply into a second part of the region. The modes
// of one (rpc, method) are measured together, their calls taking turns, so
// that their ratios do not depend on when the shared machine was busy.
//
//   BenchConfig config;  // 5000 x 5000 float64, uniform in [-0.5, 0.5)
//   absl::StatusOr<std::vector<BenchRow>> rows = RunBench(client, config);
#ifndef TENSOR_TRANSFORM_CLIENT_BENCH_RUNNER_H_
#define TENSOR_TRANSFORM_CLIENT_BENCH_RUNNER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/stats/summary.h"
#include "client/tensor_client.h"
#include "core/types.h"

namespace tensor_transform::client {

struct BenchConfig {
  core::DType dtype = core::DType::kFloat64;
  std::vector<int64_t> shape = {5000, 5000};
  int warmup = 1;   // untimed calls per row (turns: one call of every mode)
  int repeats = 5;  // timed calls per row
  int64_t chunk_bytes = kDefaultChunkBytes;
  std::vector<Rpc> rpcs = {Rpc::kApply, Rpc::kApplyInPlace, Rpc::kGradient};
  std::vector<Mode> modes = {Mode::kUnary, Mode::kStream};
  uint64_t seed = 42;
  // Receives one line per finished row (progress on long runs); may be empty.
  std::function<void(const std::string&)> progress;
};

struct BenchRow {
  Rpc rpc = Rpc::kApply;
  core::Method method = core::Method::kMaximum;  // the method the server ran
  Mode mode = Mode::kUnary;
  core::DType dtype = core::DType::kFloat64;
  std::vector<int64_t> shape;
  int repeats = 0;
  LatencySummary latency_ms;
  double server_compute_p50_ms = 0;
  double throughput_gbps = 0;  // tensor bytes / p50 round-trip latency
  bool verified = false;       // every response equalled the reference
};

// Runs every row; unary rows whose request exceeds the server's message cap
// are skipped (reported through `progress`). A failed call ends the run with
// its status; a wrong result only clears `verified`.
absl::StatusOr<std::vector<BenchRow>> RunBench(TensorClient& client,
                                               const BenchConfig& config);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_BENCH_RUNNER_H_
