// Server metrics in the Prometheus text exposition format (version 0.0.4),
// served by the --metrics_listen endpoint (server/telemetry/http_endpoint.h).
//
//   Metrics metrics;
//   metrics.CallStarted();
//   metrics.CallFinished(record);  // counters, bytes, histograms
//   std::string text = metrics.Render(extra_gauges);
//
// Labels follow go-grpc-prometheus (grpc_service, grpc_method, grpc_code) so
// existing gRPC dashboards apply; relu_method is the transform method the
// call used or asked for ("" for RPCs without one).
#ifndef TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_H_
#define TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_H_

#include <grpcpp/support/status.h>

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
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

// A fixed-bucket histogram as Prometheus shows it: cumulative counts per
// upper bound, their sum and count.
class Histogram {
 public:
  // Upper bounds in seconds, 1-2.5-5 per decade from 100 us to 500 s, then
  // the implicit +Inf: wide enough for a scalar and for a stream of
  // terabytes.
  static constexpr int kBuckets = 21;
  static constexpr std::array<double, kBuckets> kBounds = {
      1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25,
      0.5,  1,      2.5,  5,    10,     25,   50,   100,    250,  500};

  void Observe(double seconds);
  // Appends the _bucket, _sum and _count lines of `name` with `labels`
  // (`key="value",...`, may be empty).
  void Render(const std::string& name, const std::string& labels,
              std::string* out) const;

 private:
  std::array<int64_t, kBuckets + 1> counts_ = {};  // last: above every bound
  double sum_ = 0;
  int64_t count_ = 0;
};

class Metrics {
 public:
  void CallStarted();
  void CallFinished(const CallRecord& record);
  // A call refused by admission control (it also finishes normally).
  void AdmissionRejected();

  // The whole exposition: the call metrics, then each of `gauges` (name,
  // help, value) as a gauge.
  std::string Render(
      const std::vector<std::tuple<std::string, std::string, double>>& gauges)
      const;

 private:
  using MethodKey = std::pair<std::string, std::string>;  // service, method
  // service, method, relu_method, code
  using CallKey = std::tuple<std::string, std::string, std::string, int>;

  void RenderCounters(std::string* out) const;
  void RenderHistograms(std::string* out) const;

  mutable std::mutex mu_;  // guards the members below
  int64_t in_flight_ = 0;
  int64_t admission_rejected_ = 0;
  std::map<CallKey, int64_t> calls_;
  std::map<MethodKey, std::pair<int64_t, int64_t>> bytes_;  // in, out
  std::map<MethodKey, Histogram> latency_;
  std::map<MethodKey, Histogram> compute_;
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
