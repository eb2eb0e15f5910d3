#include "server/rpc/receive_watchdog.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace tensor_transform::server {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// How often the waiting calls are checked: a twentieth of the timeout, so a
// stalled call ends at most 5% late, but not more often than every 10 ms
// nor less than every 250 ms.
absl::Duration SweepPeriod(absl::Duration timeout) {
  return std::clamp(timeout / 20, absl::Milliseconds(10),
                    absl::Milliseconds(250));
}

}  // namespace

void ReceiveWatchdog::Watched::StartWaiting() {
  // Never 0, which means "not waiting".
  waiting_since_ns_.store(std::max<int64_t>(NowNs(), 1),
                          std::memory_order_relaxed);
}

void ReceiveWatchdog::Watched::StopWaiting() {
  waiting_since_ns_.store(0, std::memory_order_relaxed);
}

ReceiveWatchdog::ReceiveWatchdog(absl::Duration timeout)
    : timeout_(timeout),
      timeout_ns_(absl::ToInt64Nanoseconds(timeout)),
      thread_([this] { Run(); }) {}

ReceiveWatchdog::~ReceiveWatchdog() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
}

void ReceiveWatchdog::Add(Watched* call) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  calls_.insert(call);
}

void ReceiveWatchdog::Remove(Watched* call) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  calls_.erase(call);
}

void ReceiveWatchdog::Run() {
  const auto period = absl::ToChronoNanoseconds(SweepPeriod(timeout_));
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, period, [this] { return stop_; })) {
    lock.unlock();
    Sweep(NowNs());
    lock.lock();
  }
}

void ReceiveWatchdog::Sweep(int64_t now_ns) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  std::vector<Watched*> expired;
  for (Watched* call : calls_) {
    const int64_t since =
        call->waiting_since_ns_.load(std::memory_order_relaxed);
    if (since != 0 && now_ns - since > timeout_ns_) expired.push_back(call);
  }
  for (Watched* call : expired) {
    // Told once per wait; a call ended by an earlier one is gone.
    if (!calls_.contains(call)) continue;
    call->StopWaiting();
    call->ReceiveTimedOut();
  }
}

}  // namespace tensor_transform::server
