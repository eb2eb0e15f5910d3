#include "server/telemetry/metrics.h"

#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tensor_transform::server {
namespace {

std::string CodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::string MethodLabels(const std::string& service,
                         const std::string& method) {
  return absl::StrCat("grpc_service=\"", service, "\",grpc_method=\"", method,
                      "\"");
}

void Header(const std::string& name, const std::string& type,
            const std::string& help, std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type,
                  "\n");
}

// Prometheus floats: "0.0025", "1e-05", "12345.678": 15 significant digits
// print every bound exactly.
std::string Number(double value) { return absl::StrFormat("%.15g", value); }

}  // namespace

void Histogram::Observe(double seconds) {
  size_t bucket = 0;
  while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
  ++counts_[bucket];
  sum_ += seconds;
  ++count_;
}

void Histogram::Render(const std::string& name, const std::string& labels,
                       std::string* out) const {
  const std::string sep = labels.empty() ? "" : ",";
  int64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += counts_[i];
    absl::StrAppend(out, name, "_bucket{", labels, sep, "le=\"",
                    Number(kBounds[i]), "\"} ", cumulative, "\n");
  }
  absl::StrAppend(out, name, "_bucket{", labels, sep, "le=\"+Inf\"} ", count_,
                  "\n", name, "_sum{", labels, "} ", Number(sum_), "\n", name,
                  "_count{", labels, "} ", count_, "\n");
}

void Metrics::CallStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  ++in_flight_;
}

void Metrics::CallFinished(const CallRecord& record) {
  const MethodKey method(record.service, record.method);
  std::lock_guard<std::mutex> lock(mu_);
  --in_flight_;
  ++calls_[CallKey(record.service, record.method, record.relu_method,
                   static_cast<int>(record.code))];
  auto& [in, out] = bytes_[method];
  in += record.payload_bytes_in;
  out += record.payload_bytes_out;
  latency_[method].Observe(record.latency_seconds);
  // Only the transform RPCs run a kernel.
  if (!record.relu_method.empty()) {
    compute_[method].Observe(record.compute_seconds);
  }
}

void Metrics::AdmissionRejected() {
  std::lock_guard<std::mutex> lock(mu_);
  ++admission_rejected_;
}

void Metrics::RenderCounters(std::string* out) const {
  const std::string calls = "tensor_transform_requests_total";
  Header(calls, "counter", "Finished calls by RPC, ReLU method and status.",
         out);
  for (const auto& [key, count] : calls_) {
    const auto& [service, method, relu_method, code] = key;
    absl::StrAppend(out, calls, "{", MethodLabels(service, method),
                    ",relu_method=\"", relu_method, "\",grpc_code=\"",
                    CodeName(code), "\"} ", count, "\n");
  }
  const std::string in = "tensor_transform_payload_received_bytes_total";
  const std::string sent = "tensor_transform_payload_sent_bytes_total";
  Header(in, "counter", "Tensor bytes received (data and upstream).", out);
  for (const auto& [key, bytes] : bytes_) {
    absl::StrAppend(out, in, "{", MethodLabels(key.first, key.second), "} ",
                    bytes.first, "\n");
  }
  Header(sent, "counter", "Tensor bytes sent.", out);
  for (const auto& [key, bytes] : bytes_) {
    absl::StrAppend(out, sent, "{", MethodLabels(key.first, key.second), "} ",
                    bytes.second, "\n");
  }
  const std::string rejected = "tensor_transform_admission_rejected_total";
  Header(rejected, "counter",
         "Calls refused with RESOURCE_EXHAUSTED by the memory budget.", out);
  absl::StrAppend(out, rejected, " ", admission_rejected_, "\n");
}

void Metrics::RenderHistograms(std::string* out) const {
  const std::string latency = "tensor_transform_request_duration_seconds";
  Header(latency, "histogram",
         "Time from the handler's start to the call's status.", out);
  for (const auto& [key, histogram] : latency_) {
    histogram.Render(latency, MethodLabels(key.first, key.second), out);
  }
  const std::string compute = "tensor_transform_compute_duration_seconds";
  Header(compute, "histogram",
         "Kernel time per call (server_compute_ns), summed over chunks.", out);
  for (const auto& [key, histogram] : compute_) {
    histogram.Render(compute, MethodLabels(key.first, key.second), out);
  }
}

std::string Metrics::Render(
    const std::vector<std::tuple<std::string, std::string, double>>& gauges)
    const {
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RenderCounters(&out);
    RenderHistograms(&out);
    const std::string in_flight = "tensor_transform_in_flight_requests";
    Header(in_flight, "gauge", "Calls being handled now.", &out);
    absl::StrAppend(&out, in_flight, " ", in_flight_, "\n");
  }
  for (const auto& [name, help, value] : gauges) {
    Header(name, "gauge", help, &out);
    absl::StrAppend(&out, name, " ", Number(value), "\n");
  }
  return out;
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
