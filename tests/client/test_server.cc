#include "tests/client/test_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client::testing {

// The hooks, run by a server interceptor around the unary transforms of
// the production service.
class TestServer::Hooks {
 public:
  explicit Hooks(TestServerOptions options) : options_(std::move(options)) {}

  void Before(const std::string& peer, const std::string& rpc) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      peers_.insert(peer);
    }
    const int64_t call = calls_++;
    if (options_.before_unary) options_.before_unary(call, rpc);
  }

  // Runs after_unary on the decoded response and encodes it again.
  void After(grpc::ByteBuffer* response) {
    if (!options_.after_unary) return;
    using Traits = grpc::SerializationTraits<v1::TransformResponse>;
    v1::TransformResponse message;
    grpc::ByteBuffer copy = *response;
    EXPECT_TRUE(Traits::Deserialize(&copy, &message).ok());
    options_.after_unary(&message);
    response->Clear();
    bool own_buffer;
    EXPECT_TRUE(Traits::Serialize(message, response, &own_buffer).ok());
  }

  std::set<std::string> peers() const {
    std::lock_guard<std::mutex> lock(mu_);
    return peers_;
  }

  const TestServerOptions& options() const { return options_; }

 private:
  const TestServerOptions options_;
  std::atomic<int64_t> calls_{0};
  mutable std::mutex mu_;
  std::set<std::string> peers_;
};

namespace {

using grpc::experimental::InterceptionHookPoints;

class HookInterceptor final : public grpc::experimental::Interceptor {
 public:
  HookInterceptor(TestServer::Hooks* hooks,
                  grpc::experimental::ServerRpcInfo* info)
      : hooks_(hooks), info_(info) {
    const std::string path = info->method();
    rpc_ = path.substr(path.rfind('/') + 1);
    unary_ = rpc_ == "Apply" || rpc_ == "ApplyInPlace" || rpc_ == "Gradient";
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (unary_ && methods->QueryInterceptionHookPoint(
                      InterceptionHookPoints::POST_RECV_MESSAGE)) {
      hooks_->Before(info_->server_context()->peer(), rpc_);
    }
    if (unary_ && methods->QueryInterceptionHookPoint(
                      InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      hooks_->After(methods->GetSerializedSendMessage());
    }
    methods->Proceed();
  }

 private:
  TestServer::Hooks* const hooks_;
  grpc::experimental::ServerRpcInfo* const info_;
  std::string rpc_;
  bool unary_ = false;
};

class HookFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit HookFactory(TestServer::Hooks* hooks) : hooks_(hooks) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new HookInterceptor(hooks_, info);
  }

 private:
  TestServer::Hooks* const hooks_;
};

server::ServiceConfig Config(const TestServerOptions& options) {
  server::ServiceConfig config;
  config.max_message_bytes = options.max_message_bytes;
  return config;
}

}  // namespace

TestServer::TestServer(TestServerOptions options)
    : hooks_(std::make_unique<Hooks>(options)),
      service_(
          std::make_unique<server::TensorTransformService>(Config(options))) {
  // Process-wide in gRPC, read when a server is built: set it for this one.
  grpc::EnableDefaultHealthCheckService(options.health_service);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  service_->Register(&builder);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<HookFactory>(hooks_.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
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

std::set<std::string> TestServer::peers() const { return hooks_->peers(); }

}  // namespace tensor_transform::client::testing
