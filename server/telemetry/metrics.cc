#include "server/telemetry/metrics.h"

#include <fstream>

#include "absl/status/status.h"

namespace tensor_transform::server {
namespace {

// Upper bounds in seconds, 1-2.5-5 per decade from 100 us to 500 s, then the
// implicit +Inf: wide enough for a scalar and for a stream of terabytes.
const prometheus::Histogram::BucketBoundaries& DurationBounds() {
  static const auto* const bounds = new prometheus::Histogram::BucketBoundaries{
      1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25,
      0.5,  1,      2.5,  5,    10,     25,   50,   100,    250,  500};
  return *bounds;
}

prometheus::Labels MethodLabels(const CallRecord& record) {
  return {{"grpc_service", record.service}, {"grpc_method", record.method}};
}

}  // namespace

Metrics::Metrics()
    : requests_(prometheus::BuildCounter()
                    .Name("tensor_transform_requests_total")
                    .Help("Finished calls by RPC, ReLU method and status.")
                    .Register(registry_)),
      received_bytes_(prometheus::BuildCounter()
                          .Name("tensor_transform_payload_received_bytes_total")
                          .Help("Tensor bytes received (data and upstream).")
                          .Register(registry_)),
      sent_bytes_(prometheus::BuildCounter()
                      .Name("tensor_transform_payload_sent_bytes_total")
                      .Help("Tensor bytes sent.")
                      .Register(registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("tensor_transform_request_duration_seconds")
                   .Help("Time from the handler's start to the call's status.")
                   .Register(registry_)),
      compute_(prometheus::BuildHistogram()
                   .Name("tensor_transform_compute_duration_seconds")
                   .Help("Kernel time per call (server_compute_ns), summed "
                         "over chunks.")
                   .Register(registry_)),
      admission_rejected_(prometheus::BuildCounter()
                              .Name("tensor_transform_admission_rejected_total")
                              .Help("Calls refused with RESOURCE_EXHAUSTED by "
                                    "the memory budget.")
                              .Register(registry_)
                              .Add({})),
      in_flight_(prometheus::BuildGauge()
                     .Name("tensor_transform_in_flight_requests")
                     .Help("Calls being handled now.")
                     .Register(registry_)
                     .Add({})) {}

void Metrics::CallStarted() { in_flight_.Increment(); }

void Metrics::CallFinished(const CallRecord& record) {
  const prometheus::Labels method = MethodLabels(record);
  prometheus::Labels call = method;
  call.emplace("relu_method", record.relu_method);
  call.emplace("grpc_code", absl::StatusCodeToString(
                                static_cast<absl::StatusCode>(record.code)));
  std::lock_guard<std::mutex> lock(mu_);
  requests_.Add(call).Increment();
  received_bytes_.Add(method).Increment(
      static_cast<double>(record.payload_bytes_in));
  sent_bytes_.Add(method).Increment(
      static_cast<double>(record.payload_bytes_out));
  latency_.Add(method, DurationBounds()).Observe(record.latency_seconds);
  // Only the transform RPCs run a kernel.
  if (!record.relu_method.empty()) {
    compute_.Add(method, DurationBounds()).Observe(record.compute_seconds);
  }
  in_flight_.Decrement();
}

void Metrics::AdmissionRejected() { admission_rejected_.Increment(); }

std::vector<prometheus::MetricFamily> Metrics::Collect() const {
  std::lock_guard<std::mutex> lock(mu_);
  return registry_.Collect();
}

ProcessMemory ReadProcessMemory() {
  ProcessMemory memory;
  std::ifstream status("/proc/self/status");
  std::string key;
  int64_t kib = 0;
  // Lines such as "VmHWM:\t  123456 kB".
  while (status >> key) {
    if (key == "VmRSS:" && status >> kib) memory.resident_bytes = kib << 10;
    if (key == "VmHWM:" && status >> kib) {
      memory.peak_resident_bytes = kib << 10;
    }
  }
  return memory;
}

}  // namespace tensor_transform::server
