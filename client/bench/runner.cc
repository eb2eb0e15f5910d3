#include "client/bench/runner.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/data/generator.h"
#include "client/data/shape.h"
#include "client/shared_memory.h"
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

// One row's calls: `call` is timed; `prepare` runs before it and
// `verified` after it, untimed.
struct RowCalls {
  std::function<void()> prepare;
  std::function<absl::Status(CallResult*)> call;
  std::function<bool(const CallResult&)> verified;
};

// `payload` as `method` in `mode`: the rows of one payload take turns, each
// retargeting it before its call.
RowCalls PayloadCalls(TensorClient& client, Payload& payload,
                      core::Method method, Mode mode,
                      const std::string& expected) {
  return {[&payload, method, mode] { payload.Retarget(method, mode); },
          [&client, &payload](CallResult* result) {
            return client.Call(payload, result);
          },
          [&expected](const CallResult& result) {
            return result.data == expected;
          }};
}

// Where the output of mode shm rows starts in the region: page-aligned.
size_t OutputOffset(size_t bytes) {
  constexpr size_t kPage = 4096;
  return std::max(kPage, (bytes + kPage - 1) / kPage * kPage);
}

// Mode shm: x is written at the start of `region` before each call.
// ApplyInPlace and Gradient write into x's own bytes; Apply into the
// region's second part, filled with 0xFF bytes (never a result of this
// data) before each call, so that a result left by an earlier call cannot
// pass for this one's.
RowCalls SharedCalls(TensorClient& client, const CallSpec& spec,
                     const std::string& x, absl::Span<uint8_t> region,
                     const std::string& expected) {
  const absl::Span<uint8_t> in = region.subspan(0, x.size());
  const absl::Span<uint8_t> out =
      spec.rpc == Rpc::kApply ? region.subspan(OutputOffset(x.size()), x.size())
                              : in;
  RowCalls calls;
  calls.prepare = [in, out, &x] {
    std::memcpy(in.data(), x.data(), x.size());
    if (out.data() != in.data()) std::memset(out.data(), 0xFF, out.size());
  };
  calls.call = [&client, spec, in, out](CallResult* result) {
    return client.CallInto(spec, {in, {}, out}, result);
  };
  calls.verified = [out, &expected](const CallResult&) {
    return std::memcmp(out.data(), expected.data(), out.size()) == 0;
  };
  return calls;
}

// A row being measured: its calls, its own result buffer and its samples.
struct RowRun {
  std::string label;  // "apply maximum unary"
  BenchRow row;
  RowCalls calls;
  CallResult result;
  std::vector<double> latency_ms;
  std::vector<double> compute_ms;
};

// Runs the rows' calls interleaved: warmup + repeats turns, each row calling
// once per turn. A shift in the shared machine's load then falls on every
// row alike, and the rows' ratios (shm vs inline, unary vs stream) hold
// still where back-to-back rows drifted by ±15% between runs.
absl::Status RunInterleaved(size_t bytes, const BenchConfig& config,
                            std::vector<RowRun>& runs) {
  for (int i = 0; i < config.warmup + config.repeats; ++i) {
    for (RowRun& run : runs) {
      run.calls.prepare();
      const auto start = std::chrono::steady_clock::now();
      const absl::Status status = run.calls.call(&run.result);
      const std::chrono::duration<double, std::milli> elapsed =
          std::chrono::steady_clock::now() - start;
      if (!status.ok()) {
        return absl::Status(status.code(),
                            absl::StrCat(run.label, ": ", status.message()));
      }
      run.row.verified = run.row.verified && run.calls.verified(run.result);
      if (i < config.warmup) continue;
      run.latency_ms.push_back(elapsed.count());
      run.compute_ms.push_back(
          static_cast<double>(run.result.server_compute_ns) / 1e6);
    }
  }
  for (RowRun& run : runs) {
    BenchRow& row = run.row;
    row.repeats = config.repeats;
    row.latency_ms = Summarize(run.latency_ms);
    row.server_compute_p50_ms = Summarize(run.compute_ms).p50;
    if (row.latency_ms.p50 > 0) {
      row.throughput_gbps =
          static_cast<double>(bytes) / (row.latency_ms.p50 * 1e6);
    }
  }
  return absl::OkStatus();
}

// The region mode shm rows run in, holding x; null when no row needs one.
absl::StatusOr<std::unique_ptr<SharedMemoryRegion>> SharedRegion(
    TensorClient& client, const BenchConfig& config, const std::string& x) {
  if (std::find(config.modes.begin(), config.modes.end(),
                Mode::kSharedMemory) == config.modes.end()) {
    return std::unique_ptr<SharedMemoryRegion>();
  }
  absl::StatusOr<std::unique_ptr<SharedMemoryRegion>> region =
      SharedMemoryRegion::Create(client, 2 * OutputOffset(x.size()));
  if (!region.ok()) {
    return absl::Status(region.status().code(),
                        absl::StrCat("mode shm: ", region.status().message()));
  }
  std::memcpy((*region)->bytes().data(), x.data(), x.size());
  return region;
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
  absl::StatusOr<std::unique_ptr<SharedMemoryRegion>> region =
      SharedRegion(client, config, x);
  if (!region.ok()) return region.status();
  std::vector<BenchRow> rows;
  for (Rpc rpc : config.rpcs) {
    Payload payload(CallSpec{rpc, std::nullopt, config.dtype, config.shape,
                             Mode::kUnary, config.chunk_bytes},
                    x);
    const std::string& want =
        rpc == Rpc::kGradient ? expected.gradient : expected.relu;
    for (core::Method method : MethodsFor(rpc)) {
      std::vector<RowRun> runs;  // this method's modes, measured together
      for (Mode mode : config.modes) {
        std::string label = absl::StrCat(
            RpcName(rpc), " ", core::MethodName(method), " ", ModeName(mode));
        if (mode == Mode::kUnary && !unary_fits) {
          if (config.progress) {
            config.progress(
                absl::StrCat(label, ": skipped, ", x.size(),
                             " bytes exceed the server's unary cap"));
          }
          continue;
        }
        RowRun& run = runs.emplace_back();
        run.label = std::move(label);
        run.row.rpc = rpc;
        run.row.method = method;
        run.row.mode = mode;
        run.row.dtype = config.dtype;
        run.row.shape = config.shape;
        run.row.verified = true;
        CallSpec spec = payload.spec();
        spec.method = method;
        spec.mode = mode;
        run.calls = mode == Mode::kSharedMemory
                        ? SharedCalls(client, spec, x, (*region)->bytes(), want)
                        : PayloadCalls(client, payload, method, mode, want);
      }
      absl::Status status = RunInterleaved(x.size(), config, runs);
      if (!status.ok()) return status;
      for (RowRun& run : runs) {
        if (config.progress) {
          config.progress(absl::StrFormat(
              "%s: p50 %.1f ms, %s", run.label, run.row.latency_ms.p50,
              run.row.verified ? "verified" : "WRONG"));
        }
        rows.push_back(std::move(run.row));
      }
    }
  }
  return rows;
}

}  // namespace tensor_transform::client
