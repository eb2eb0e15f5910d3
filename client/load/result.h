// What one load level (a run at one concurrency) measured, and a whole load
// test: its settings and its levels (one, or a sweep's series).
//
//   LoadReport report{settings, {level}};
//   double p99_ms = report.levels[0].latency_ms.p99;
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_RESULT_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_RESULT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "client/stats/histogram.h"
#include "client/stats/summary.h"

namespace tensor_transform::client {

// Calls that ended with one status code. Besides gRPC's codes ("OK",
// "INVALID_ARGUMENT", ...) there is kWrongResult: an OK response whose data
// differed from the local reference.
inline constexpr char kWrongResult[] = "WRONG_RESULT";
struct CodeCount {
  std::string code;
  int64_t count = 0;
};

struct MessageCount {
  std::string code;
  std::string message;
  int64_t count = 0;
};

// Calls and errors of one mix entry ("apply:maximum").
struct EntryCount {
  std::string label;
  int64_t calls = 0;
  int64_t errors = 0;
};

// Where the time of a successful call went, as means in milliseconds. Their
// sum before `verify_ms` is the mean latency of the successful calls.
//   schedule_wait: open loop only: from the scheduled start to the actual
//     one, while every in-flight slot was busy (client-side queueing).
//   serialize / deserialize: the client encoding the request and decoding
//     the response (and copying its data out).
//   server_compute: the server's kernel time (server_compute_ns).
//   transport: the rest: the network both ways, gRPC's own work on both
//     sides, and queueing in the server. In stream mode chunks overlap, so
//     the parts can add up to more than the latency; transport is then 0.
//   verify: comparing the response with the reference; after the call, so
//     not part of its latency, but the client's CPU time all the same.
struct TimeSplit {
  double schedule_wait_ms = 0;
  double serialize_ms = 0;
  double server_compute_ms = 0;
  double deserialize_ms = 0;
  double transport_ms = 0;
  double verify_ms = 0;
};

// Completions in one interval of the measured window.
struct TimelinePoint {
  double start_s = 0;  // from the start of the measured window
  int64_t calls = 0;   // finished in this interval
  double calls_per_s = 0;
  double errors_per_s = 0;
  double gbps_in = 0;  // response payload bytes
};

struct LevelResult {
  int concurrency = 1;
  double target_rps = 0;  // 0: closed loop
  int64_t calls = 0;      // measured calls (warmup excluded)
  int64_t errors = 0;     // calls not OK, and wrong results
  int64_t wrong_results = 0;
  double elapsed_s = 0;  // measured window: first start to last end
  double calls_per_s = 0;
  double gbps_out = 0;  // request tensor bytes per second (1e9 bytes)
  double gbps_in = 0;   // response tensor bytes per second
  // Every measured call, failed ones included (a timeout counts at its
  // deadline), from its scheduled start in open loop.
  LatencySummary latency_ms;
  LatencyHistogram histogram;  // the same latencies, in nanoseconds
  std::vector<CodeCount> codes;
  std::vector<MessageCount> messages;
  std::vector<EntryCount> entries;
  TimeSplit split;
  std::vector<TimelinePoint> timeline;
  bool over_max_p99 = false;  // a sweep stopped after this level
  // The most threads this process ran during the level (sampled every
  // 100 ms and at its end; 0: unknown). An embedded server's count too.
  int client_threads = 0;
  // Every measured latency, unordered; only with LoadShape::keep_latencies.
  std::vector<int64_t> latencies_ns;
};

struct LoadReport {
  // The run's settings as (name, value), in display order.
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<LevelResult> levels;
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_RESULT_H_
