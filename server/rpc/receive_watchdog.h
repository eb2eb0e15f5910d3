// Ends calls whose request stalls. gRPC's callback API has no receive
// timeout of its own, and a peer that announces a large message and then
// trickles it (answering pings, so keepalive never fires) would otherwise
// keep the call, and the bytes received so far, until the client's deadline,
// if it set one. Every call marks when it starts waiting for a request
// message; one thread checks the waiting calls a few times per timeout and
// tells those that waited longer than --receive_timeout.
//
//   class Call : public ReceiveWatchdog::Watched {
//     void ReceiveTimedOut() override { ... Finish(DEADLINE_EXCEEDED) ... }
//   };
//   watchdog.Add(&call);
//   call.StartWaiting();  StartRead(...);   // on OnReadDone: StopWaiting()
//   watchdog.Remove(&call);                 // in OnDone
#ifndef TENSOR_TRANSFORM_SERVER_RPC_RECEIVE_WATCHDOG_H_
#define TENSOR_TRANSFORM_SERVER_RPC_RECEIVE_WATCHDOG_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"

namespace tensor_transform::server {

class ReceiveWatchdog {
 public:
  class Watched {
   public:
    virtual ~Watched() = default;
    // From now on the call waits for a request message; StopWaiting when it
    // has arrived (or the wait is over for another reason). Lock-free.
    void StartWaiting();
    void StopWaiting();
    // The call waited longer than the timeout. Called on the watchdog's
    // thread, with the watchdog's lock held (so the call is still
    // registered), at most once per wait.
    virtual void ReceiveTimedOut() = 0;

   private:
    friend class ReceiveWatchdog;
    // Steady-clock nanoseconds since the wait started; 0: not waiting.
    std::atomic<int64_t> waiting_since_ns_{0};
  };

  // `timeout` > 0. Starts the watchdog's thread.
  explicit ReceiveWatchdog(absl::Duration timeout);
  ~ReceiveWatchdog();
  ReceiveWatchdog(const ReceiveWatchdog&) = delete;
  ReceiveWatchdog& operator=(const ReceiveWatchdog&) = delete;

  absl::Duration timeout() const { return timeout_; }

  // Registers a call until Remove. Thread-safe; Remove may be called from
  // within ReceiveTimedOut (gRPC can end a call inline).
  void Add(Watched* call);
  void Remove(Watched* call);

 private:
  void Run();
  void Sweep(int64_t now_ns);

  const absl::Duration timeout_;
  const int64_t timeout_ns_;
  // Recursive: a call that ReceiveTimedOut ends inline removes itself.
  std::recursive_mutex mu_;
  absl::flat_hash_set<Watched*> calls_;  // guarded by mu_
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by stop_mu_
  std::thread thread_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_RECEIVE_WATCHDOG_H_
