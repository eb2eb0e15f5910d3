#include "client/load/runner.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client/load/recorder.h"

namespace tensor_transform::client {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kUnset = std::numeric_limits<int64_t>::max();

int64_t ToNs(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// One level's run: the workers, the shared call counter, the measured
// window.
class Level {
 public:
  Level(const LoadShape& shape, const LoadWorkload& workload,
        const std::vector<TensorClient*>& clients)
      : shape_(shape),
        workload_(workload),
        clients_(clients),
        warmup_calls_(shape.warmup_calls.value_or(shape.concurrency)),
        warmup_ns_(ToNs(shape.warmup_time)),
        duration_ns_(ToNs(shape.duration)) {
    std::vector<std::string> labels;
    for (size_t i = 0; i < workload.size(); ++i) {
      labels.push_back(MixEntryLabel(workload.entry(i)));
    }
    for (int i = 0; i < shape.concurrency; ++i) {
      workers_.push_back(std::make_unique<Worker>(labels));
    }
  }

  LevelResult Run(const ProgressSink& progress) {
    start_ = Clock::now();
    running_ = shape_.concurrency;
    std::vector<std::thread> threads;
    for (int i = 0; i < shape_.concurrency; ++i) {
      threads.emplace_back([this, i] {
        Work(*workers_[i], *clients_[i % clients_.size()]);
        std::lock_guard<std::mutex> lock(done_mu_);
        if (--running_ == 0) done_cv_.notify_all();
      });
    }
    WatchProgress(progress);
    for (std::thread& thread : threads) thread.join();
    LevelRecorder total = workers_[0]->recorder;
    for (size_t i = 1; i < workers_.size(); ++i) {
      total.Merge(workers_[i]->recorder);
    }
    LevelResult result = total.Finish(shape_.concurrency, shape_.rps);
    for (const auto& worker : workers_) {
      result.latencies_ns.insert(result.latencies_ns.end(),
                                 worker->latencies_ns.begin(),
                                 worker->latencies_ns.end());
    }
    return result;
  }

 private:
  struct Worker {
    explicit Worker(std::vector<std::string> labels)
        : recorder(std::move(labels)) {}
    std::mutex mu;  // guards recorder against progress snapshots
    LevelRecorder recorder;
    CallResult result;                  // reused: no allocation per call
    std::vector<int64_t> latencies_ns;  // only with keep_latencies
  };

  struct Claim {
    int64_t call = 0;
    int64_t scheduled_ns = 0;
    bool measured = false;
  };

  int64_t NowNs() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() -
                                                                start_)
        .count();
  }

  int64_t ScheduledNs(int64_t call) const {
    return static_cast<int64_t>(static_cast<double>(call) * 1e9 / shape_.rps);
  }

  // The next call to make, or nullopt when the level is over.
  std::optional<Claim> Next() {
    Claim claim;
    claim.call = next_call_.fetch_add(1);
    claim.scheduled_ns = shape_.rps > 0 ? ScheduledNs(claim.call) : NowNs();
    claim.measured =
        claim.call >= warmup_calls_ && claim.scheduled_ns >= warmup_ns_;
    if (claim.measured && !InWindow(claim)) return std::nullopt;
    return claim;
  }

  // Whether a measured call belongs to the run.
  bool InWindow(const Claim& claim) {
    if (duration_ns_ == 0) {
      // Without a timed warmup the measured calls are exactly the numbers
      // [warmup_calls, warmup_calls + requests), whatever order the workers
      // claim them in, so a mix's counts are exact.
      if (warmup_ns_ == 0) return claim.call < warmup_calls_ + shape_.requests;
      return measured_claimed_++ < shape_.requests;
    }
    int64_t end = window_end_ns_.load();
    if (end == kUnset) {
      // The first measured call opens the window.
      const int64_t proposed = claim.scheduled_ns + duration_ns_;
      if (window_end_ns_.compare_exchange_strong(end, proposed)) {
        end = proposed;
      }
    }
    return claim.scheduled_ns < end;
  }

  void Work(Worker& worker, TensorClient& client) {
    while (std::optional<Claim> claim = Next()) {
      if (shape_.rps > 0) {
        std::this_thread::sleep_until(
            start_ + std::chrono::nanoseconds(claim->scheduled_ns));
      }
      CallRecord record;
      record.entry = workload_.order().At(claim->call);
      record.scheduled_ns = claim->scheduled_ns;
      record.start_ns = shape_.rps > 0 ? NowNs() : claim->scheduled_ns;
      record.status = client.Call(workload_.payload(record.entry),
                                  &worker.result, shape_.call_options);
      record.end_ns = NowNs();
      Verify(worker.result, &record);
      if (!claim->measured) continue;
      record.bytes_out = workload_.request_bytes();
      record.result = &worker.result;
      {
        std::lock_guard<std::mutex> lock(worker.mu);
        worker.recorder.Record(record);
      }
      if (shape_.keep_latencies) {
        worker.latencies_ns.push_back(record.end_ns - record.scheduled_ns);
      }
      finished_++;
      if (!record.status.ok() || record.wrong_result) errors_++;
    }
  }

  void Verify(const CallResult& result, CallRecord* record) const {
    const std::string* expected = workload_.expected(record->entry);
    if (!record->status.ok() || expected == nullptr) return;
    const Clock::time_point start = Clock::now();
    record->wrong_result = result.data != *expected;
    record->verify_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            Clock::now() - start)
                            .count();
  }

  // Reports progress every interval until the workers are done.
  void WatchProgress(const ProgressSink& progress) {
    std::unique_lock<std::mutex> lock(done_mu_);
    const auto interval = absl::ToChronoNanoseconds(progress.interval);
    int64_t last_calls = 0;
    int64_t last_ns = 0;
    while (!done_cv_.wait_for(lock, interval, [&] { return running_ == 0; })) {
      if (progress.report) Report(progress, false, &last_calls, &last_ns);
    }
    if (progress.report) Report(progress, true, &last_calls, &last_ns);
  }

  void Report(const ProgressSink& progress, bool done, int64_t* last_calls,
              int64_t* last_ns) {
    LatencyHistogram latency;
    for (const auto& worker : workers_) {
      std::lock_guard<std::mutex> lock(worker->mu);
      latency.Merge(worker->recorder.latency());
    }
    LoadProgress p;
    p.concurrency = shape_.concurrency;
    p.calls = finished_.load();
    p.errors = errors_.load();
    const int64_t now = NowNs();
    if (now > *last_ns) {
      p.calls_per_s = static_cast<double>(p.calls - *last_calls) * 1e9 /
                      static_cast<double>(now - *last_ns);
    }
    p.p99_ms = static_cast<double>(latency.Percentile(99)) / 1e6;
    p.elapsed_s = static_cast<double>(now) / 1e9;
    p.done = done;
    *last_calls = p.calls;
    *last_ns = now;
    progress.report(p);
  }

  const LoadShape& shape_;
  const LoadWorkload& workload_;
  const std::vector<TensorClient*>& clients_;
  const int64_t warmup_calls_;
  const int64_t warmup_ns_;
  const int64_t duration_ns_;
  Clock::time_point start_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int64_t> next_call_{0};
  std::atomic<int64_t> measured_claimed_{0};
  std::atomic<int64_t> window_end_ns_{kUnset};
  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> errors_{0};
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  int running_ = 0;  // guarded by done_mu_
};

}  // namespace

LevelResult RunLevel(const LoadShape& shape, const LoadWorkload& workload,
                     const std::vector<TensorClient*>& clients,
                     const ProgressSink& progress) {
  Level level(shape, workload, clients);
  return level.Run(progress);
}

std::vector<LevelResult> RunSweep(const LoadShape& shape,
                                  const std::vector<int>& concurrencies,
                                  std::optional<absl::Duration> max_p99,
                                  const LoadWorkload& workload,
                                  const std::vector<TensorClient*>& clients,
                                  const ProgressSink& progress) {
  std::vector<LevelResult> levels;
  for (int concurrency : concurrencies) {
    LoadShape level_shape = shape;
    level_shape.concurrency = concurrency;
    LevelResult& level =
        levels.emplace_back(RunLevel(level_shape, workload, clients, progress));
    if (max_p99 &&
        level.latency_ms.p99 > absl::ToDoubleMilliseconds(*max_p99)) {
      level.over_max_p99 = true;
      break;
    }
  }
  return levels;
}

}  // namespace tensor_transform::client
