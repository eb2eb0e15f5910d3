#include "tests/client/test_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client::testing {

// The production service with the hooks run around the unary transforms.
class TestServer::HookedService final : public server::TensorTransformService {
 public:
  explicit HookedService(TestServerOptions options)
      : TensorTransformService(Config(options)), options_(std::move(options)) {}

  grpc::Status ApplyRaw(grpc::ServerContext* context, grpc::ByteBuffer* request,
                        grpc::ByteBuffer* response) override {
    Before(context, "Apply");
    return After(TensorTransformService::ApplyRaw(context, request, response),
                 response);
  }
  grpc::Status ApplyInPlaceRaw(grpc::ServerContext* context,
                               grpc::ByteBuffer* request,
                               grpc::ByteBuffer* response) override {
    Before(context, "ApplyInPlace");
    return After(
        TensorTransformService::ApplyInPlaceRaw(context, request, response),
        response);
  }
  grpc::Status GradientRaw(grpc::ServerContext* context,
                           grpc::ByteBuffer* request,
                           grpc::ByteBuffer* response) override {
    Before(context, "Gradient");
    return After(
        TensorTransformService::GradientRaw(context, request, response),
        response);
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

  // Runs after_unary on the decoded response and encodes it again.
  grpc::Status After(grpc::Status status, grpc::ByteBuffer* response) {
    if (!status.ok() || !options_.after_unary) return status;
    using Traits = grpc::SerializationTraits<v1::TransformResponse>;
    v1::TransformResponse message;
    EXPECT_TRUE(Traits::Deserialize(response, &message).ok());
    options_.after_unary(&message);
    bool own_buffer;
    EXPECT_TRUE(Traits::Serialize(message, response, &own_buffer).ok());
    return status;
  }

  TestServerOptions options_;
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
