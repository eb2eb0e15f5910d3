// Accumulates the measured calls of one load level into what LevelResult
// reports. Each thread driving calls records into its own recorder; they are
// merged for progress lines and at the end.
//
//   LevelRecorder recorder(labels);
//   recorder.Record(call);            // per call, on the driving thread
//   total.Merge(recorder);            // after the level is done
//   LevelResult result = total.Finish(concurrency, /*target_rps=*/0);
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_RECORDER_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_RECORDER_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "client/load/result.h"
#include "client/stats/histogram.h"
#include "client/tensor_client.h"

namespace tensor_transform::client {

// One finished call. Times are nanoseconds from the level's start.
struct CallRecord {
  size_t entry = 0;  // index into the mix
  absl::Status status;
  bool wrong_result = false;  // OK, but the data differed from the reference
  int64_t scheduled_ns = 0;   // the latency's origin: the scheduled start in
                              // open loop, else the actual start
  int64_t start_ns = 0;       // when the call actually started
  int64_t end_ns = 0;
  int64_t verify_ns = 0;
  int64_t bytes_out = 0;  // request tensor bytes
  // Result bytes of a successful call: in the response, or written into
  // shared memory (mode shm).
  int64_t bytes_in = 0;
  const CallResult* result = nullptr;  // read when status is OK
};

class LevelRecorder {
 public:
  // Throughput over time is counted in slots of this width.
  static constexpr int64_t kSlotNs = 100'000'000;
  // Distinct error messages kept; further ones are counted together.
  static constexpr size_t kMaxMessages = 32;

  explicit LevelRecorder(std::vector<std::string> entry_labels);

  void Record(const CallRecord& call);
  void Merge(const LevelRecorder& other);

  int64_t calls() const { return latency_.count(); }
  int64_t errors() const;
  const LatencyHistogram& latency() const { return latency_; }

  LevelResult Finish(int concurrency, double target_rps) const;

 private:
  struct Sums {
    int64_t ok_calls = 0;
    double schedule_wait = 0, serialize = 0, server = 0, deserialize = 0,
           latency = 0, verify = 0;
  };
  struct Slot {
    int64_t calls = 0, errors = 0, bytes_in = 0;
  };

  using MessageKey = std::pair<absl::StatusCode, std::string>;

  void RecordSuccess(const CallRecord& call, Slot& slot);
  void CountMessage(MessageKey key, int64_t n);
  TimeSplit Split() const;
  std::vector<TimelinePoint> Timeline() const;

  std::vector<std::string> labels_;
  LatencyHistogram latency_;
  std::map<absl::StatusCode, int64_t> codes_;  // wrong results not under OK
  int64_t wrong_results_ = 0;
  std::map<MessageKey, int64_t> messages_;
  int64_t other_messages_ = 0;
  std::vector<int64_t> entry_calls_, entry_errors_;
  Sums sums_;
  int64_t bytes_out_ = 0, bytes_in_ = 0;
  int64_t first_start_ns_ = std::numeric_limits<int64_t>::max();
  int64_t last_end_ns_ = 0;
  std::vector<Slot> slots_;  // by end time
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_RECORDER_H_
