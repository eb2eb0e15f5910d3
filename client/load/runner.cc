#include "client/load/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "client/generic_call.h"
#include "client/load/recorder.h"
#include "client/load/thread_count.h"

namespace tensor_transform::client {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kUnset = std::numeric_limits<int64_t>::max();
// How often the client's thread count is sampled.
constexpr std::chrono::milliseconds kSampleInterval(100);

int64_t ToNs(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// By default one thread per core, and at least one per connection: gRPC's
// epoll poller hands a thread one ready connection at a time, so with fewer
// threads than connections the bursts of answers on the others wait. (On
// the 2-core machine, 1 KiB Apply at concurrency 1,024 over 4 connections:
// median 5,657 calls/s with 4 threads, 4,015 with 2, 3,830 with 1.)
int DriverThreads(const LoadShape& shape, size_t connections) {
  const int cores =
      std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int wanted = shape.threads > 0
                         ? shape.threads
                         : std::max(cores, static_cast<int>(connections));
  return std::min(wanted, shape.concurrency);
}

// A thread driving one completion queue, and what the calls it completes
// record.
struct Driver {
  explicit Driver(std::vector<std::string> labels)
      : recorder(std::move(labels)) {}
  grpc::CompletionQueue cq;
  std::thread thread;
  std::mutex mu;  // guards recorder against progress snapshots
  LevelRecorder recorder;
  std::vector<int64_t> latencies_ns;  // only with keep_latencies
};

struct Claim {
  int64_t call = 0;
  int64_t scheduled_ns = 0;
  bool measured = false;
};

// Room for one call in flight; its buffers are reused from call to call.
struct Slot {
  int index = 0;
  TensorClient* client = nullptr;
  Driver* driver = nullptr;
  CallResult result;
  // Mode shm: the call's buffers in the workload's regions; the result is
  // in `shared.out`.
  CallBuffers shared;
  Claim claim;
  int64_t start_ns = 0;
};

// One level's run: the drivers, the slots, the shared call counter, the
// measured window. Closed loop, a slot's finished call starts its next one
// on the driver's thread; open loop, a pacer thread starts each call at its
// time in a free slot.
class Level {
 public:
  Level(const LoadShape& shape, const LoadWorkload& workload,
        const std::vector<TensorClient*>& clients)
      : shape_(shape),
        workload_(workload),
        warmup_calls_(shape.warmup_calls.value_or(shape.concurrency)),
        warmup_ns_(ToNs(shape.warmup_time)),
        duration_ns_(ToNs(shape.duration)) {
    std::vector<std::string> labels;
    for (size_t i = 0; i < workload.size(); ++i) {
      labels.push_back(MixEntryLabel(workload.entry(i)));
    }
    for (int i = 0; i < DriverThreads(shape, clients.size()); ++i) {
      drivers_.push_back(std::make_unique<Driver>(labels));
    }
    for (int i = 0; i < shape.concurrency; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->index = i;
      slot->client = clients[i % clients.size()];
      slot->driver = drivers_[i % drivers_.size()].get();
      free_.push_back(slot.get());
      slots_.push_back(std::move(slot));
    }
  }

  LevelResult Run(const ProgressSink& progress) {
    start_ = Clock::now();
    for (const auto& driver : drivers_) {
      driver->thread =
          std::thread([&cq = driver->cq] { DriveUntilShutdown(cq); });
    }
    std::thread pacer;
    if (shape_.rps > 0) {
      running_ = 1;
      pacer = std::thread([this] { Pace(); });
    } else {
      running_ = shape_.concurrency;
      for (const auto& slot : slots_) StartNext(*slot);
    }
    Watch(progress);
    if (pacer.joinable()) pacer.join();
    for (const auto& driver : drivers_) {
      driver->cq.Shutdown();
      driver->thread.join();
    }
    return Result();
  }

 private:
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
      // [warmup_calls, warmup_calls + requests), whatever order the slots
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

  // Closed loop: the slot's next call, or the slot retires.
  void StartNext(Slot& slot) {
    const std::optional<Claim> claim = Next();
    if (!claim) return Retire();
    Start(slot, *claim);
  }

  void Start(Slot& slot, const Claim& claim) {
    slot.claim = claim;
    slot.start_ns = shape_.rps > 0 ? NowNs() : claim.scheduled_ns;
    const Payload& payload =
        workload_.payload(workload_.order().At(claim.call));
    auto done = [this, &slot](absl::Status status) {
      Finish(slot, std::move(status));
    };
    const SharedWorkspace* shared = workload_.shared_memory();
    if (shared == nullptr) {
      slot.client->StartCall(payload, &slot.result, shape_.call_options,
                             &slot.driver->cq, done);
      return;
    }
    slot.shared = shared->Buffers(slot.index, payload.spec().rpc);
    const absl::Status started =
        slot.client->StartCallInto(payload.spec(), slot.shared, &slot.result,
                                   shape_.call_options, &slot.driver->cq, done);
    if (!started.ok()) done(started);
  }

  // On the slot's driver thread, when its call has ended.
  void Finish(Slot& slot, absl::Status status) {
    CallRecord record;
    record.entry = workload_.order().At(slot.claim.call);
    record.status = std::move(status);
    record.scheduled_ns = slot.claim.scheduled_ns;
    record.start_ns = slot.start_ns;
    record.end_ns = NowNs();
    Verify(slot, &record);
    if (slot.claim.measured) Record(slot, record);
    if (shape_.rps > 0) {
      Release(slot);
    } else {
      StartNext(slot);
    }
  }

  void Verify(const Slot& slot, CallRecord* record) const {
    const std::string* expected = workload_.expected(record->entry);
    if (!record->status.ok() || expected == nullptr) return;
    const Clock::time_point start = Clock::now();
    if (workload_.shared_memory() == nullptr) {
      record->wrong_result = slot.result.data != *expected;
    } else {
      const absl::Span<const uint8_t> out = slot.shared.out;
      record->wrong_result =
          std::memcmp(out.data(), expected->data(), out.size()) != 0;
    }
    record->verify_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            Clock::now() - start)
                            .count();
  }

  void Record(Slot& slot, CallRecord& record) {
    record.bytes_out = workload_.request_bytes();
    record.bytes_in = workload_.shared_memory() == nullptr
                          ? static_cast<int64_t>(slot.result.data.size())
                          : workload_.request_bytes();
    record.result = &slot.result;
    Driver& driver = *slot.driver;
    {
      std::lock_guard<std::mutex> lock(driver.mu);
      driver.recorder.Record(record);
    }
    if (shape_.keep_latencies) {
      driver.latencies_ns.push_back(record.end_ns - record.scheduled_ns);
    }
    finished_++;
    if (!record.status.ok() || record.wrong_result) errors_++;
  }

  // Open loop: starts every call at its scheduled time in a free slot, then
  // waits for the last to end.
  void Pace() {
    while (const std::optional<Claim> claim = Next()) {
      std::this_thread::sleep_until(
          start_ + std::chrono::nanoseconds(claim->scheduled_ns));
      Slot* slot;
      {
        std::unique_lock<std::mutex> lock(free_mu_);
        free_cv_.wait(lock, [this] { return !free_.empty(); });
        slot = free_.back();
        free_.pop_back();
      }
      Start(*slot, *claim);
    }
    {
      std::unique_lock<std::mutex> lock(free_mu_);
      free_cv_.wait(lock, [this] { return free_.size() == slots_.size(); });
    }
    Retire();
  }

  void Release(Slot& slot) {
    {
      std::lock_guard<std::mutex> lock(free_mu_);
      free_.push_back(&slot);
    }
    free_cv_.notify_one();
  }

  void Retire() {
    std::lock_guard<std::mutex> lock(done_mu_);
    if (--running_ == 0) done_cv_.notify_all();
  }

  // Samples the thread count, and reports progress every interval, until
  // the level is over.
  void Watch(const ProgressSink& progress) {
    const auto interval = absl::ToChronoNanoseconds(progress.interval);
    const auto tick = std::min<Clock::duration>(interval, kSampleInterval);
    Clock::time_point next_report = Clock::now() + interval;
    int64_t last_calls = 0;
    int64_t last_ns = 0;
    std::unique_lock<std::mutex> lock(done_mu_);
    do {
      peak_threads_ = std::max(peak_threads_, ThreadCount());
      if (progress.report && Clock::now() >= next_report) {
        Report(progress, false, &last_calls, &last_ns);
        next_report += interval;
      }
    } while (!done_cv_.wait_for(lock, tick, [this] { return running_ == 0; }));
    peak_threads_ = std::max(peak_threads_, ThreadCount());
    if (progress.report) Report(progress, true, &last_calls, &last_ns);
  }

  void Report(const ProgressSink& progress, bool done, int64_t* last_calls,
              int64_t* last_ns) {
    LatencyHistogram latency;
    for (const auto& driver : drivers_) {
      std::lock_guard<std::mutex> lock(driver->mu);
      latency.Merge(driver->recorder.latency());
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

  // After the drivers are done.
  LevelResult Result() const {
    LevelRecorder total = drivers_[0]->recorder;
    for (size_t i = 1; i < drivers_.size(); ++i) {
      total.Merge(drivers_[i]->recorder);
    }
    LevelResult result = total.Finish(shape_.concurrency, shape_.rps);
    for (const auto& driver : drivers_) {
      result.latencies_ns.insert(result.latencies_ns.end(),
                                 driver->latencies_ns.begin(),
                                 driver->latencies_ns.end());
    }
    result.client_threads = peak_threads_;
    return result;
  }

  const LoadShape& shape_;
  const LoadWorkload& workload_;
  const int64_t warmup_calls_;
  const int64_t warmup_ns_;
  const int64_t duration_ns_;
  Clock::time_point start_;
  std::vector<std::unique_ptr<Driver>> drivers_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<int64_t> next_call_{0};
  std::atomic<int64_t> measured_claimed_{0};
  std::atomic<int64_t> window_end_ns_{kUnset};
  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> errors_{0};
  std::mutex free_mu_;
  std::condition_variable free_cv_;
  std::vector<Slot*> free_;  // open loop; guarded by free_mu_
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  int running_ = 0;  // slots (closed loop) or the pacer; guarded by done_mu_
  int peak_threads_ = 0;  // guarded by done_mu_
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
