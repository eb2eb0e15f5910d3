// Runs load levels: `concurrency` calls in flight, spread over the given
// connections, sending the workload's calls in its mix order. The calls run
// on gRPC's completion-queue API, driven by a few threads (LoadShape::threads),
// so that concurrency costs memory (a call's state and buffers), not
// threads.
//
//   LoadShape shape;
//   shape.concurrency = 1024;
//   shape.duration = absl::Seconds(30);
//   LevelResult level = RunLevel(shape, workload, clients, nullptr);
//
// Closed loop (rps == 0): each of the `concurrency` slots starts its next
// call when the previous one ends; a call's latency runs from its start.
// Open loop (rps > 0): call i is scheduled at i / rps seconds from the
// level's start, whatever happens to earlier calls, and its latency runs
// from that scheduled start. When every slot is busy the next call starts
// late and its wait counts, so a stalled server shows in the tail instead of
// being hidden by the client sending less (coordinated omission).
// `concurrency` caps the calls in flight in both modes.
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_RUNNER_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_RUNNER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "client/load/result.h"
#include "client/load/workload.h"
#include "client/tensor_client.h"

namespace tensor_transform::client {

struct LoadShape {
  int concurrency = 1;
  // The measured part: every call started within `duration` of the first
  // measured one, or when `duration` is 0, `requests` calls.
  int64_t requests = 1000;
  absl::Duration duration = absl::ZeroDuration();
  // Calls excluded from the statistics, before the measured ones: the first
  // `warmup_calls` (nullopt: one per slot, which also opens every
  // connection), and every call started within `warmup_time` of the level's
  // start.
  std::optional<int64_t> warmup_calls;
  absl::Duration warmup_time = absl::ZeroDuration();
  double rps = 0;  // calls per second, open loop; 0: closed loop
  // Threads driving the calls, each with its own completion queue; 0: one
  // per core, and at least one per connection. Never more than
  // `concurrency`.
  int threads = 0;
  CallOptions call_options;
  // Also return every measured latency (LevelResult::latencies_ns), e.g. to
  // check the histogram against exact percentiles. Memory grows with calls.
  bool keep_latencies = false;
};

// What a progress line shows, sent every `interval` while a level runs.
struct LoadProgress {
  int concurrency = 1;
  int64_t calls = 0;  // measured calls finished so far
  int64_t errors = 0;
  double calls_per_s = 0;  // over the last interval
  double p99_ms = 0;       // of the measured calls so far
  double elapsed_s = 0;    // since the level started
  bool done = false;       // the level's last report
};
struct ProgressSink {
  absl::Duration interval = absl::Seconds(1);
  std::function<void(const LoadProgress&)> report;  // may be empty
};

// Runs one level. `clients` (the connections, at least one) are shared by
// the slots round robin: slot s uses clients[s % clients.size()].
// Every call's response is checked against the workload's expected bytes
// when it has them.
LevelResult RunLevel(const LoadShape& shape, const LoadWorkload& workload,
                     const std::vector<TensorClient*>& clients,
                     const ProgressSink& progress = {});

// Runs one level per concurrency in `concurrencies`, in order; after a
// level whose p99 exceeds `max_p99` (when set), marks it over_max_p99 and
// stops.
std::vector<LevelResult> RunSweep(const LoadShape& shape,
                                  const std::vector<int>& concurrencies,
                                  std::optional<absl::Duration> max_p99,
                                  const LoadWorkload& workload,
                                  const std::vector<TensorClient*>& clients,
                                  const ProgressSink& progress = {});

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_RUNNER_H_
