// The client's channel (MakeChannel, behind tensor_transform_client
// --target) balances calls round-robin over every address of a gRPC name:
// three in-process replicas behind one "ipv4:a,b,c" target each serve a
// share, where gRPC's default policy would send every call to one of them.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/tensor_client.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/rpc/service.h"

namespace tensor_transform::client {
namespace {

namespace v1 = ::tensor_transform::v1;

constexpr int kReplicas = 3;
constexpr int kCalls = 60;

// Counts the Apply calls a server serves: a server interceptor around the
// real service.
class ApplyCounter final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (absl::EndsWith(info->method(), "/Apply")) ++calls_;
    return nullptr;  // nothing to intercept
  }
  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> calls_{0};
};

struct Replica {
  server::TensorTransformService service{server::ServiceConfig()};
  ApplyCounter* counter = nullptr;  // owned by the server
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

class RoundRobinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> addresses;
    for (int i = 0; i < kReplicas; ++i) {
      auto replica = std::make_unique<Replica>();
      grpc::ServerBuilder builder;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                               &replica->port);
      replica->service.Register(&builder);
      auto counter = std::make_unique<ApplyCounter>();
      replica->counter = counter.get();
      std::vector<std::unique_ptr<
          grpc::experimental::ServerInterceptorFactoryInterface>>
          factories;
      factories.push_back(std::move(counter));
      builder.experimental().SetInterceptorCreators(std::move(factories));
      replica->server = builder.BuildAndStart();
      ASSERT_NE(replica->port, 0);
      addresses.push_back(absl::StrCat("127.0.0.1:", replica->port));
      replicas_.push_back(std::move(replica));
    }
    target_ = absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
  }

  // kCalls relu calls on [-1, 2] through `channel`, each result checked;
  // returns how many calls each replica served.
  std::vector<int> CallsPerReplica(std::shared_ptr<grpc::Channel> channel) {
    auto stub = v1::TensorTransform::NewStub(channel);
    v1::ApplyRequest request;
    request.mutable_tensor()->set_dtype(v1::INT32);
    request.mutable_tensor()->add_shape(2);
    const int32_t x[] = {-1, 2};
    request.mutable_tensor()->set_data(x, sizeof(x));
    for (int i = 0; i < kCalls; ++i) {
      grpc::ClientContext context;
      v1::TransformResponse response;
      const grpc::Status status = stub->Apply(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      const int32_t want[] = {0, 2};
      EXPECT_EQ(response.tensor().data(),
                std::string(reinterpret_cast<const char*>(want), sizeof(want)));
    }
    std::vector<int> calls;
    for (const auto& replica : replicas_) {
      calls.push_back(replica->counter->calls());
    }
    return calls;
  }

  std::vector<std::unique_ptr<Replica>> replicas_;
  std::string target_;
};

TEST_F(RoundRobinTest, SpreadsCallsOverEveryAddressOfTheTarget) {
  const std::vector<int> calls = CallsPerReplica(MakeChannel(target_));
  std::cout << target_ << ": calls per replica " << absl::StrJoin(calls, " ")
            << "\n";
  int total = 0;
  for (int n : calls) {
    // An even split is kCalls / kReplicas each; the first calls may all go
    // to the first address that connected, so allow for that start.
    EXPECT_GE(n, kCalls / kReplicas / 2);
    total += n;
  }
  EXPECT_EQ(total, kCalls);
}

TEST_F(RoundRobinTest, DefaultPolicyWouldPinOneReplica) {
  // The contrast that makes the policy in MakeChannel necessary.
  const std::vector<int> calls = CallsPerReplica(
      grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  std::cout << target_ << " (pick_first): calls per replica "
            << absl::StrJoin(calls, " ") << "\n";
  EXPECT_EQ(*std::max_element(calls.begin(), calls.end()), kCalls);
}

}  // namespace
}  // namespace tensor_transform::client
