// Connection management a load balancer relies on: connections closed at
// --max_connection_age (clients reconnect and get rebalanced), and client
// keepalive pings allowed down to --keepalive_min_client_interval.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"

namespace tensor_transform::server {
namespace {

std::unique_ptr<RunningServer> Start(ServerConfig config) {
  config.listen = "127.0.0.1:0";
  auto server = StartServer(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

grpc::Status Describe(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  v1::DescribeResponse response;
  return v1::TensorTransform::NewStub(channel)->Describe(
      &context, v1::DescribeRequest(), &response);
}

// True when the channel, READY now, leaves READY within `seconds`.
bool LeavesReady(const std::shared_ptr<grpc::Channel>& channel, int seconds) {
  EXPECT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  return channel->WaitForStateChange(
      GRPC_CHANNEL_READY,
      std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

TEST(Connection, IsClosedAtMaxConnectionAgeAndTheClientReconnects) {
  ServerConfig config;
  config.max_connection_age = absl::Milliseconds(300);
  config.max_connection_age_grace = absl::Milliseconds(300);
  auto server = Start(config);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                     grpc::InsecureChannelCredentials());
  ASSERT_TRUE(Describe(channel).ok());
  EXPECT_TRUE(LeavesReady(channel, 30));
  EXPECT_TRUE(Describe(channel).ok());
}

// A client pinging its idle connection every 200 ms.
std::shared_ptr<grpc::Channel> EagerPinger(const RunningServer& server) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 200);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server.port()),
                                   grpc::InsecureChannelCredentials(), args);
}

TEST(Keepalive, AllowsClientPingsDownToTheConfiguredInterval) {
  ServerConfig config;
  config.keepalive_min_client_interval = absl::Milliseconds(20);
  auto server = Start(config);
  auto channel = EagerPinger(*server);
  ASSERT_TRUE(Describe(channel).ok());
  // Ten pings or so, none of them a strike.
  EXPECT_FALSE(LeavesReady(channel, 2));
}

TEST(Keepalive, ClosesConnectionsPingingMoreOftenThanAllowed) {
  auto server = Start(ServerConfig());  // pings at most every 10 s
  auto channel = EagerPinger(*server);
  ASSERT_TRUE(Describe(channel).ok());
  // Three pings in 600 ms are three strikes: GOAWAY "too_many_pings".
  EXPECT_TRUE(LeavesReady(channel, 30));
}

}  // namespace
}  // namespace tensor_transform::server
