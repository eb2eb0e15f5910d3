#include "server/server.h"

#include <grpcpp/ext/channelz_service_plugin.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/admission/call_tracker.h"
#include "server/admission/memory_budget.h"
#include "server/rpc/service.h"
#include "server/shm/registry.h"
#include "server/telemetry/computed_gauges.h"
#include "server/telemetry/metrics.h"
#include "server/telemetry/metrics_endpoint.h"

namespace tensor_transform::server {
namespace {

constexpr int64_t kMinMessageBytes = int64_t{1} << 10;
constexpr int64_t kMaxMessageBytes = INT_MAX;  // gRPC takes an int

// A response carries the request's payload plus a few bytes of envelope
// (method, compute time); a request right at the cap must not fail on its
// way back.
constexpr int64_t kResponseEnvelopeBytes = int64_t{4} << 10;

// The budget (see ServerConfig::memory_budget_bytes): the handlers admit
// what they hold (received data, output buffers, idle pooled ones) against
// three quarters, and gRPC's own quota, which counts every buffer it reads
// requests into, is the same three quarters; the last quarter is headroom
// for output buffers beside the requests still arriving. The handlers
// compute in the buffers gRPC received (proto/tensor_slices.h), so gRPC
// counts what they hold too: with its quota at only a quarter it cancelled
// whole bursts before the budget admitted any; at the whole budget, with no
// read slots, peak RSS under the overload test (AdmissionRss) reached
// 329-358 MiB of its 384 MiB bound; at three quarters, 242-291 MiB. The
// smallest budget lets a largest request arrive alone and be held twice.
//
// Threads: the RPCs of this service and health run on gRPC's callback API;
// only the synchronous services (reflection, channelz) take a thread per
// call, at most kDefaultSyncThreads unless ServerConfig::threads says.
constexpr int64_t kTransportShareDivisor = 4;
constexpr int64_t kMinBudgetInMessages = 4;

// Largest socket read gRPC makes into one buffer (see SetConnectionOptions).
constexpr int kMaxReadChunkBytes = 1 << 20;

constexpr int kDefaultSyncThreads = 4;

int64_t HandlerShare(int64_t budget) {
  return budget - budget / kTransportShareDivisor;
}

// How long a drain lets health Watch streams deliver NOT_SERVING before
// ending them.
constexpr absl::Duration kWatchDelivery = absl::Seconds(1);

absl::Status ValidateLimits(const ServerConfig& config) {
  if (config.max_message_bytes < kMinMessageBytes ||
      config.max_message_bytes > kMaxMessageBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_message_bytes: ", config.max_message_bytes, ", but must be in [",
        kMinMessageBytes, ", ", kMaxMessageBytes, "]"));
  }
  if (config.memory_budget_bytes / kMinBudgetInMessages <
      config.max_message_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory_budget_bytes: ", config.memory_budget_bytes,
                     ", but must be at least ", kMinBudgetInMessages,
                     " x max_message_bytes (", config.max_message_bytes,
                     ") so that a largest request can be served"));
  }
  if (config.max_concurrent_streams < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_concurrent_streams: ", config.max_concurrent_streams,
                     ", but must be >= 1"));
  }
  return absl::OkStatus();
}

absl::Status ValidateConfig(const ServerConfig& config) {
  for (absl::string_view address : absl::StrSplit(config.listen, ',')) {
    if (address.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "listen: '", config.listen,
          "' has an empty address, but each needs host:port or unix:PATH"));
    }
  }
  if (config.threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threads: ", config.threads, ", but must be >= 0 (0: gRPC default)"));
  }
  for (const auto& [name, duration] :
       {std::pair("grace_period", config.grace_period),
        {"receive_timeout", config.receive_timeout},
        {"keepalive_time", config.keepalive_time},
        {"keepalive_timeout", config.keepalive_timeout},
        {"keepalive_min_client_interval", config.keepalive_min_client_interval},
        {"max_connection_age", config.max_connection_age},
        {"max_connection_age_grace", config.max_connection_age_grace}}) {
    if (duration <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": ", absl::FormatDuration(duration), ", but must be > 0"));
    }
  }
  return ValidateLimits(config);
}

// gRPC takes durations as int milliseconds; infinite ones as INT_MAX.
int Millis(absl::Duration duration) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(duration),
                                            std::numeric_limits<int>::max()));
}

// Keepalive, connection age, streams per connection, message caps, and the
// transport's share of the memory budget.
void SetConnectionOptions(const ServerConfig& config,
                          grpc::ServerBuilder* builder) {
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                              Millis(config.keepalive_time));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                              Millis(config.keepalive_timeout));
  builder->AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Millis(config.keepalive_min_client_interval));
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  if (config.max_connection_age != absl::InfiniteDuration()) {
    builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                                Millis(config.max_connection_age));
    builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                                Millis(config.max_connection_age_grace));
  }
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                              config.max_concurrent_streams);
  // The unary handlers compute in the buffers gRPC read the request into
  // (proto/tensor_slices.h), so those live as long as the call; a buffer
  // partly filled when its message ended pins its unused rest too. Reads of
  // at most 1 MiB (gRPC's default cap is 4 MiB) bound that waste without
  // costing throughput (same 200 MB round trips, lower peak RSS under
  // overload).
  builder->AddChannelArgument(GRPC_ARG_TCP_MAX_READ_CHUNK_SIZE,
                              kMaxReadChunkBytes);
  builder->SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder->SetMaxSendMessageSize(static_cast<int>(std::min(
      config.max_message_bytes + kResponseEnvelopeBytes, kMaxMessageBytes)));
  grpc::ResourceQuota quota("tensor_transform_server");
  quota.Resize(static_cast<size_t>(HandlerShare(config.memory_budget_bytes)));
  // The quota counts the synchronous server's polling thread too, and it
  // only takes a call while another thread is left polling: N threads serve
  // N - 1 calls. Calls beyond the cap get RESOURCE_EXHAUSTED, not a queue.
  const int threads = config.threads > 0 ? config.threads : kDefaultSyncThreads;
  quota.SetMaxThreads(threads + 1);
  builder->SetResourceQuota(quota);
}

// Server reflection on or off for one builder. Linking gRPC's reflection
// library registers its plugin for every server of the process; this option
// removes it where reflection is off, and adds it where it is on and the
// registration did not happen.
class ReflectionOption final : public grpc::ServerBuilderOption {
 public:
  explicit ReflectionOption(bool enabled) : enabled_(enabled) {}
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    const std::string name =
        grpc::reflection::ProtoServerReflectionPlugin().name();
    const auto is_reflection = [&](const auto& plugin) {
      return plugin->name() == name;
    };
    const bool present =
        std::any_of(plugins->begin(), plugins->end(), is_reflection);
    if (!enabled_) {
      plugins->erase(
          std::remove_if(plugins->begin(), plugins->end(), is_reflection),
          plugins->end());
    } else if (!present) {
      plugins->push_back(
          std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
    }
  }

 private:
  const bool enabled_;
};

class RunningServerImpl final : public RunningServer {
 public:
  // `shared_memory`: null when the feature is off.
  RunningServerImpl(const ServerConfig& config,
                    std::unique_ptr<shm::Registry> shared_memory);
  ~RunningServerImpl() override {
    Shutdown();
    Wait();
  }

  absl::Status Start(const ServerConfig& config,
                     std::shared_ptr<grpc::ServerCredentials> credentials);
  int port() const override { return ports_.empty() ? 0 : ports_.front(); }
  std::vector<std::string> addresses() const override;
  int metrics_port() const override {
    return http_ == nullptr ? 0 : http_->port();
  }
  void Shutdown() override;
  void Wait() override {
    if (server_ != nullptr) server_->Wait();
  }

 private:
  // The gauges a scrape computes beside metrics_.
  std::vector<ComputedGauges::Gauge> ScrapeGauges() const;

  const absl::Duration grace_period_;
  MemoryBudget budget_;
  Metrics metrics_;
  ComputedGauges gauges_{[this] { return ScrapeGauges(); }};
  CallTracker tracker_;
  std::unique_ptr<shm::Registry> shared_memory_;     // outlives service_
  std::unique_ptr<TensorTransformService> service_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MetricsEndpoint> http_;
  std::vector<std::string> listen_;  // ServerConfig::listen, split
  std::vector<int> ports_;           // the port gRPC bound for each
  std::atomic<bool> serving_{false};
  std::once_flag shutdown_once_;
};

RunningServerImpl::RunningServerImpl(
    const ServerConfig& config, std::unique_ptr<shm::Registry> shared_memory)
    : grace_period_(config.grace_period),
      budget_(HandlerShare(config.memory_budget_bytes)),
      tracker_(&budget_, &metrics_),
      shared_memory_(std::move(shared_memory)) {
  ServiceConfig service_config;
  service_config.max_message_bytes = config.max_message_bytes;
  service_config.receive_timeout = config.receive_timeout;
  service_config.guard = &tracker_;
  service_config.budget = &budget_;
  service_config.shared_memory = shared_memory_.get();
  service_ = std::make_unique<TensorTransformService>(service_config);
}

absl::Status RunningServerImpl::Start(
    const ServerConfig& config,
    std::shared_ptr<grpc::ServerCredentials> credentials) {
  // Both are read by the builder's constructor or BuildAndStart.
  grpc::EnableDefaultHealthCheckService(true);
  if (config.channelz) grpc::channelz::experimental::InitChannelzService();
  grpc::ServerBuilder builder;
  listen_ = absl::StrSplit(config.listen, ',');
  // Sized once: the builder writes each port through its pointer.
  ports_.assign(listen_.size(), 0);
  for (size_t i = 0; i < listen_.size(); ++i) {
    builder.AddListeningPort(listen_[i], credentials, &ports_[i]);
  }
  // gRPC lets a second server share a port by default (SO_REUSEPORT),
  // silently splitting traffic with whatever holds it; refuse instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  service_->Register(&builder);
  builder.SetOption(std::make_unique<ReflectionOption>(config.reflection));
  SetConnectionOptions(config, &builder);
  builder.experimental().SetInterceptorCreators(
      MakeInterceptorFactories(&tracker_));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr ||
      std::find(ports_.begin(), ports_.end(), 0) != ports_.end()) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", config.listen,
        " (address in use or not local, or certificates rejected)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(
      v1::TensorTransform::service_full_name(), true);
  serving_ = true;
  if (!config.metrics_listen.empty()) {
    auto http =
        MetricsEndpoint::Start(config.metrics_listen, {&metrics_, &gauges_},
                               [this] { return serving_.load(); });
    if (!http.ok()) return http.status();
    http_ = *std::move(http);
  }
  return absl::OkStatus();
}

void RunningServerImpl::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    serving_ = false;
    if (server_ == nullptr) return;  // never started
    // Every service NOT_SERVING, Watch streams told at once, before the
    // listener closes: load balancers stop sending here.
    server_->GetHealthCheckService()->Shutdown();
    // Watch streams and shared-memory leases never end on their own: once
    // they have had the time to deliver NOT_SERVING (ending them at once
    // could drop it), they are ended, so that the drain waits only for real
    // work (which holds the regions it computes in).
    absl::Notification drained;
    std::thread end_watches([&] {
      if (!drained.WaitForNotificationWithTimeout(
              std::min(kWatchDelivery, grace_period_))) {
        tracker_.EndHealthWatches();
        service_->EndLeases();
      }
    });
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace_period_));
    drained.Notify();
    end_watches.join();
  });
}

std::vector<std::string> RunningServerImpl::addresses() const {
  std::vector<std::string> bound;
  for (size_t i = 0; i < listen_.size(); ++i) {
    // gRPC reports port 1 for a Unix socket; its path is its address.
    if (absl::StartsWith(listen_[i], "unix:") ||
        absl::StartsWith(listen_[i], "unix-abstract:")) {
      bound.push_back(listen_[i]);
      continue;
    }
    const std::string::size_type colon = listen_[i].rfind(':');
    bound.push_back(absl::StrCat(listen_[i].substr(0, colon), ":", ports_[i]));
  }
  return bound;
}

std::vector<ComputedGauges::Gauge> RunningServerImpl::ScrapeGauges() const {
  const ProcessMemory memory = ReadProcessMemory();
  const auto idle = static_cast<int64_t>(service_->idle_output_bytes());
  std::vector<ComputedGauges::Gauge> gauges = {
      {"tensor_transform_in_flight_bytes",
       "Payload bytes reserved by calls in flight (admission control).",
       static_cast<double>(budget_.in_use() - idle)},
      {"tensor_transform_idle_buffer_bytes",
       "Idle pooled output buffers, reserved in the memory budget too.",
       static_cast<double>(idle)},
      {"tensor_transform_in_flight_bytes_peak", "Highest in_flight_bytes.",
       static_cast<double>(budget_.peak())},
      {"tensor_transform_memory_budget_bytes",
       "The handlers' share of --memory_budget_bytes.",
       static_cast<double>(budget_.limit())},
      {"tensor_transform_serving", "1 while serving, 0 once draining.",
       serving_ ? 1.0 : 0.0},
      {"process_resident_memory_bytes", "Resident set size (VmRSS).",
       static_cast<double>(memory.resident_bytes)},
      {"process_resident_memory_peak_bytes", "Peak resident set (VmHWM).",
       static_cast<double>(memory.peak_resident_bytes)}};
  if (shared_memory_ != nullptr) {
    gauges.push_back({"tensor_transform_shared_memory_regions",
                      "Shared-memory regions registered and mapped.",
                      static_cast<double>(shared_memory_->regions())});
    gauges.push_back({"tensor_transform_shared_memory_bytes",
                      "Bytes of the registered shared-memory regions.",
                      static_cast<double>(shared_memory_->mapped_bytes())});
  }
  return gauges;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RunningServer>> StartServer(
    const ServerConfig& config) {
  absl::Status valid = ValidateConfig(config);
  if (!valid.ok()) return valid;
  auto credentials = MakeServerCredentials(config.security);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<shm::Registry> shared_memory;
  if (config.shared_memory.enabled) {
    auto registry = shm::Registry::Create(config.shared_memory);
    if (!registry.ok()) return registry.status();
    shared_memory = *std::move(registry);
  }
  auto server =
      std::make_unique<RunningServerImpl>(config, std::move(shared_memory));
  absl::Status started = server->Start(config, *std::move(credentials));
  if (!started.ok()) return started;
  return server;
}

}  // namespace tensor_transform::server
