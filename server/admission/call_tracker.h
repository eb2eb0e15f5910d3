// The CallGuard of a running server, on gRPC's server interceptor API: each
// call is known from its start to its end, so that the bytes admitted for a
// message stay reserved in the MemoryBudget until the response computed
// from it has been sent (its serialized copy included), and every call's
// status, latency, payload bytes and compute time reach Metrics whatever the
// RPC and however it ends.
//
//   MemoryBudget budget(limit);
//   Metrics metrics;
//   CallTracker tracker(&budget, &metrics);
//   builder.experimental().SetInterceptorCreators(
//       MakeInterceptorFactories(&tracker));
//   service_config.guard = &tracker;
#ifndef TENSOR_TRANSFORM_SERVER_ADMISSION_CALL_TRACKER_H_
#define TENSOR_TRANSFORM_SERVER_ADMISSION_CALL_TRACKER_H_

#include <grpcpp/support/server_interceptor.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/admission/call_guard.h"
#include "server/admission/memory_budget.h"
#include "server/telemetry/metrics.h"

namespace tensor_transform::server {

class TrackedCall;

class CallTracker final : public CallGuard {
 public:
  // Both must outlive the tracker.
  CallTracker(MemoryBudget* budget, Metrics* metrics);

  // Reserves held_bytes until the response to the message is sent;
  // RESOURCE_EXHAUSTED naming the bytes needed and free when they do not
  // fit. After a refusal the call stays refused. OK for calls the tracker
  // does not know (no interceptor).
  grpc::Status Admit(const grpc::ServerContextBase& context,
                     int64_t payload_bytes, int64_t held_bytes) override;
  void Computed(const grpc::ServerContextBase& context, core::Method method,
                int64_t compute_ns, int64_t result_bytes) override;

  // Cancels every health Watch call: after a drain's NOT_SERVING has been
  // sent, so that the drain does not wait for streams that never end on
  // their own. Safe while calls end concurrently.
  void EndHealthWatches();

  MemoryBudget& budget() const { return *budget_; }
  Metrics& metrics() const { return *metrics_; }

 private:
  friend class TrackedCall;
  void Register(const grpc::ServerContextBase* context, TrackedCall* call);
  void Unregister(const grpc::ServerContextBase* context);

  MemoryBudget* budget_;
  Metrics* metrics_;
  // Recursive: cancelling a call under it (EndHealthWatches) may end the call
  // at once, and its end unregisters it.
  std::recursive_mutex mu_;
  absl::flat_hash_map<const grpc::ServerContextBase*, TrackedCall*> calls_;
};

// What ServerBuilder::experimental().SetInterceptorCreators takes: a
// factory creating the per-call state of `tracker`, which must outlive the
// server.
std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeInterceptorFactories(CallTracker* tracker);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_ADMISSION_CALL_TRACKER_H_
