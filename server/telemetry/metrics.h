// The server's call metrics on prometheus-cpp: counters, histograms and the
// in-flight gauge in a prometheus::Registry, collected by each scrape of the
// --metrics_listen endpoint (server/telemetry/metrics_endpoint.h).
//
//   Metrics metrics;
//   metrics.CallStarted();
//   metrics.CallFinished(record);  // counters, bytes, histograms
//   std::string text = prometheus::TextSerializer().Serialize(
//       metrics.Collect());
//
// Labels follow go-grpc-prometheus (grpc_service, grpc_method, grpc_code) so
// existing gRPC dashboards apply; relu_method is the transform method the
// call used or asked for ("" for RPCs without one).
#ifndef TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_H_
#define TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_H_

#include <grpcpp/support/status.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace tensor_transform::server {

// Everything recorded about one finished call.
struct CallRecord {
  std::string service;      // "tensor_transform.v1.TensorTransform"
  std::string method;       // "Apply"
  std::string relu_method;  // "maximum", "unspecified", or ""
  grpc::StatusCode code = grpc::StatusCode::OK;
  int64_t payload_bytes_in = 0;   // tensor bytes received (data + upstream)
  int64_t payload_bytes_out = 0;  // tensor bytes sent
  double latency_seconds = 0;     // handler start to status sent
  double compute_seconds = 0;     // kernel time, summed over chunks
};

// Thread-safe: calls record from gRPC's threads while scrapes collect, and
// a scrape sees each finished call whole (no in-flight call 0 while the
// last call's counters are missing).
class Metrics final : public prometheus::Collectable {
 public:
  Metrics();

  void CallStarted();
  void CallFinished(const CallRecord& record);
  // A call refused by admission control (it also finishes normally).
  void AdmissionRejected();

  // Every metric above, as a scrape serializes it.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  // Held by CallFinished and Collect.
  mutable std::mutex mu_;
  prometheus::Registry registry_;  // owns the families below
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& received_bytes_;
  prometheus::Family<prometheus::Counter>& sent_bytes_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Histogram>& compute_;
  prometheus::Counter& admission_rejected_;
  prometheus::Gauge& in_flight_;
};

// This process's resident set now and at its peak (VmRSS, VmHWM of
// /proc/self/status), in bytes; zeros where /proc is unavailable.
struct ProcessMemory {
  int64_t resident_bytes = 0;
  int64_t peak_resident_bytes = 0;
};
ProcessMemory ReadProcessMemory();

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_H_
