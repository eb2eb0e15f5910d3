#include "client/bench/runner.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/data/generator.h"
#include "client/data/shape.h"
#include "core/reference.h"

namespace tensor_transform::client {
namespace {

struct Expected {
  std::string relu;
  std::string gradient;
};

Expected ComputeExpected(core::DType dtype, const std::string& x) {
  const size_t n = x.size() / core::ItemSize(dtype);
  const auto* in = reinterpret_cast<const uint8_t*>(x.data());
  Expected expected{std::string(x.size(), '\0'), std::string(x.size(), '\0')};
  core::ReferenceRelu(dtype, in,
                      reinterpret_cast<uint8_t*>(expected.relu.data()), n);
  core::ReferenceGradient(dtype, in, nullptr,
                          reinterpret_cast<uint8_t*>(expected.gradient.data()),
                          n);
  return expected;
}

// The methods a row set covers for `rpc`: Gradient has one form.
std::vector<core::Method> MethodsFor(Rpc rpc) {
  if (rpc == Rpc::kGradient) return {core::Method::kMultiply};
  return {core::kAllMethods.begin(), core::kAllMethods.end()};
}

absl::StatusOr<BenchRow> RunRow(TensorClient& client, const Payload& payload,
                                const std::string& expected,
                                const BenchConfig& config) {
  const CallSpec& spec = payload.spec();
  BenchRow row;
  row.rpc = spec.rpc;
  row.method = *spec.method;
  row.mode = spec.mode;
  row.dtype = spec.dtype;
  row.shape = spec.shape;
  row.repeats = config.repeats;
  row.verified = true;
  std::vector<double> latency_ms, compute_ms;
  CallResult result;
  for (int i = 0; i < config.warmup + config.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const absl::Status status = client.Call(payload, &result);
    const std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    if (!status.ok()) return status;
    row.verified = row.verified && result.data == expected;
    if (i < config.warmup) continue;
    latency_ms.push_back(elapsed.count());
    compute_ms.push_back(static_cast<double>(result.server_compute_ns) / 1e6);
  }
  row.latency_ms = Summarize(latency_ms);
  row.server_compute_p50_ms = Summarize(compute_ms).p50;
  if (row.latency_ms.p50 > 0) {
    row.throughput_gbps =
        static_cast<double>(payload.x().size()) / (row.latency_ms.p50 * 1e6);
  }
  return row;
}

}  // namespace

absl::StatusOr<std::vector<BenchRow>> RunBench(TensorClient& client,
                                               const BenchConfig& config) {
  absl::StatusOr<int64_t> count = ElementCount(config.shape);
  if (!count.ok()) return count.status();
  auto described = client.Describe();
  if (!described.ok()) return described.status();

  std::string x = UniformTensor(config.dtype, *count, config.seed);
  const Expected expected = ComputeExpected(config.dtype, x);
  // Leaves room for the request's other fields under the server's cap.
  const bool unary_fits =
      static_cast<int64_t>(x.size()) + 4096 <= described->max_message_bytes();
  std::vector<BenchRow> rows;
  for (Rpc rpc : config.rpcs) {
    Payload payload(CallSpec{rpc, std::nullopt, config.dtype, config.shape,
                             Mode::kUnary, config.chunk_bytes},
                    x);
    for (core::Method method : MethodsFor(rpc)) {
      for (Mode mode : config.modes) {
        const std::string label = absl::StrCat(
            RpcName(rpc), " ", core::MethodName(method), " ", ModeName(mode));
        if (mode == Mode::kUnary && !unary_fits) {
          if (config.progress) {
            config.progress(
                absl::StrCat(label, ": skipped, ", x.size(),
                             " bytes exceed the server's unary cap"));
          }
          continue;
        }
        payload.Retarget(method, mode);
        absl::StatusOr<BenchRow> row = RunRow(
            client, payload,
            rpc == Rpc::kGradient ? expected.gradient : expected.relu, config);
        if (!row.ok()) {
          return absl::Status(
              row.status().code(),
              absl::StrCat(label, ": ", row.status().message()));
        }
        if (config.progress) {
          config.progress(
              absl::StrFormat("%s: p50 %.1f ms, %s", label, row->latency_ms.p50,
                              row->verified ? "verified" : "WRONG"));
        }
        rows.push_back(*std::move(row));
      }
    }
  }
  return rows;
}

}  // namespace tensor_transform::client
