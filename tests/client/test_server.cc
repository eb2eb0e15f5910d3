#include "tests/client/test_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client::testing {

// Delegates every RPC to the production service, running the hooks around
// the unary transforms.
class TestServer::HookedService final : public v1::TensorTransform::Service {
 public:
  using Stream = server::TensorTransformService::Stream;

  explicit HookedService(TestServerOptions options)
      : options_(std::move(options)), inner_(Config(options_)) {}

  grpc::Status Apply(grpc::ServerContext* context,
                     const v1::ApplyRequest* request,
                     v1::TransformResponse* response) override {
    Before(context, "Apply");
    return After(inner_.Apply(context, request, response), response);
  }
  grpc::Status ApplyInPlace(grpc::ServerContext* context,
                            const v1::ApplyRequest* request,
                            v1::TransformResponse* response) override {
    Before(context, "ApplyInPlace");
    return After(inner_.ApplyInPlace(context, request, response), response);
  }
  grpc::Status Gradient(grpc::ServerContext* context,
                        const v1::GradientRequest* request,
                        v1::TransformResponse* response) override {
    Before(context, "Gradient");
    return After(inner_.Gradient(context, request, response), response);
  }
  grpc::Status ApplyStream(grpc::ServerContext* context,
                           Stream* stream) override {
    return inner_.ApplyStream(context, stream);
  }
  grpc::Status ApplyInPlaceStream(grpc::ServerContext* context,
                                  Stream* stream) override {
    return inner_.ApplyInPlaceStream(context, stream);
  }
  grpc::Status GradientStream(grpc::ServerContext* context,
                              Stream* stream) override {
    return inner_.GradientStream(context, stream);
  }
  grpc::Status Describe(grpc::ServerContext* context,
                        const v1::DescribeRequest* request,
                        v1::DescribeResponse* response) override {
    return inner_.Describe(context, request, response);
  }

  std::set<std::string> peers() const {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }

 private:
  static server::ServiceConfig Config(const TestServerOptions& options) {
    server::ServiceConfig config;
    config.max_message_bytes = options.max_message_bytes;
    return config;
  }

  void Before(grpc::ServerContext* context, const std::string& rpc) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      peers_.insert(context->peer());
    }
    const int64_t call = calls_++;
    if (options_.before_unary) options_.before_unary(call, rpc);
  }

  grpc::Status After(grpc::Status status, v1::TransformResponse* response) {
    if (status.ok() && options_.after_unary) options_.after_unary(response);
    return status;
  }

  TestServerOptions options_;
  server::TensorTransformService inner_;
  std::atomic<int64_t> calls_{0};
  mutable std::mutex mu_;
  std::set<std::string> peers_;
};

TestServer::TestServer(TestServerOptions options)
    : service_(std::make_unique<HookedService>(options)) {
  // Process-wide in gRPC, read when a server is built: set it for this one.
  grpc::EnableDefaultHealthCheckService(options.health_service);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
  builder.SetMaxSendMessageSize(
      static_cast<int>(options.max_message_bytes + 4096));
  server_ = builder.BuildAndStart();
  grpc::EnableDefaultHealthCheckService(false);
  EXPECT_NE(server_, nullptr);
  EXPECT_NE(port_, 0);
}

TestServer::~TestServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

std::string TestServer::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

std::set<std::string> TestServer::peers() const { return service_->peers(); }

}  // namespace tensor_transform::client::testing
