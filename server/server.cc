#include "server/server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/service.h"

namespace tensor_transform::server {
namespace {

constexpr int64_t kMinMessageBytes = int64_t{1} << 10;
constexpr int64_t kMaxMessageBytes = INT_MAX;  // gRPC takes an int

// A response carries the request's payload plus a few bytes of envelope
// (method, compute time); a request right at the cap must not fail on its
// way back.
constexpr int64_t kResponseEnvelopeBytes = int64_t{4} << 10;

// How long Shutdown lets in-flight calls finish before cancelling them.
constexpr std::chrono::seconds kShutdownGrace(2);

absl::Status ValidateConfig(const ServerConfig& config) {
  if (config.listen.empty()) {
    return absl::InvalidArgumentError("listen: empty, but host:port is needed");
  }
  if (config.threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threads: ", config.threads, ", but must be >= 0 (0: gRPC default)"));
  }
  if (config.max_message_bytes < kMinMessageBytes ||
      config.max_message_bytes > kMaxMessageBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_message_bytes: ", config.max_message_bytes, ", but must be in [",
        kMinMessageBytes, ", ", kMaxMessageBytes, "]"));
  }
  return absl::OkStatus();
}

class RunningServerImpl final : public RunningServer {
 public:
  RunningServerImpl(std::unique_ptr<TensorTransformService> service,
                    std::unique_ptr<grpc::Server> server, int port)
      : service_(std::move(service)), server_(std::move(server)), port_(port) {}

  ~RunningServerImpl() override {
    Shutdown();
    Wait();
  }

  int port() const override { return port_; }

  void Shutdown() override {
    std::call_once(shutdown_once_, [this] {
      server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
    });
  }

  void Wait() override { server_->Wait(); }

 private:
  // Declared before server_ so that it outlives it.
  std::unique_ptr<TensorTransformService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::once_flag shutdown_once_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RunningServer>> StartServer(
    const ServerConfig& config) {
  absl::Status valid = ValidateConfig(config);
  if (!valid.ok()) return valid;
  ServiceConfig service_config;
  service_config.max_message_bytes = config.max_message_bytes;
  auto service = std::make_unique<TensorTransformService>(service_config);

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, grpc::InsecureServerCredentials(),
                           &port);
  // gRPC lets a second server share a port by default (SO_REUSEPORT),
  // silently splitting traffic with whatever holds it; refuse instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_message_bytes));
  builder.SetMaxSendMessageSize(static_cast<int>(std::min(
      config.max_message_bytes + kResponseEnvelopeBytes, kMaxMessageBytes)));
  if (config.threads > 0) {
    // The quota counts gRPC's polling thread too, and the sync server only
    // takes a call while another thread is left polling: N threads serve
    // N - 1 calls. Calls beyond the cap get RESOURCE_EXHAUSTED, not a queue.
    grpc::ResourceQuota quota("tensor_transform_server");
    quota.SetMaxThreads(config.threads + 1);
    builder.SetResourceQuota(quota);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config.listen));
  }
  return std::make_unique<RunningServerImpl>(std::move(service),
                                             std::move(server), port);
}

}  // namespace tensor_transform::server
