#include "client/health.h"

#include <sstream>

#include "client/cli/commands.h"
#include "client/tensor_client.h"
#include "gtest/gtest.h"
#include "tests/client/test_server.h"

namespace tensor_transform::client {
namespace {

using testing::TestServer;
using testing::TestServerOptions;

constexpr absl::Duration kTimeout = absl::Seconds(5);
// Nothing listens on port 1 of the loopback: connections are refused.
constexpr char kNobody[] = "127.0.0.1:1";

TestServerOptions WithHealthService() {
  TestServerOptions options;
  options.health_service = true;
  return options;
}

TEST(HealthTest, AsksTheHealthServiceWhenThereIsOne) {
  TestServer server(WithHealthService());
  const HealthResult health =
      CheckHealth(MakeChannel(server.target()), kTimeout);
  EXPECT_TRUE(health.healthy);
  EXPECT_EQ(health.detail, "grpc.health.v1: SERVING");
}

TEST(HealthTest, NotServingIsUnhealthyThoughDescribeWouldAnswer) {
  TestServer server(WithHealthService());
  server.server().GetHealthCheckService()->SetServingStatus(false);
  const HealthResult health =
      CheckHealth(MakeChannel(server.target()), kTimeout);
  EXPECT_FALSE(health.healthy);
  EXPECT_EQ(health.detail, "grpc.health.v1: NOT_SERVING");
}

TEST(HealthTest, FallsBackToDescribeWithoutAHealthService) {
  TestServer server;
  const HealthResult health =
      CheckHealth(MakeChannel(server.target()), kTimeout);
  EXPECT_TRUE(health.healthy) << health.detail;
  EXPECT_EQ(health.detail, "Describe: OK (the server has no health service)");
}

TEST(HealthTest, UnreachableTargetIsUnhealthy) {
  const HealthResult health = CheckHealth(MakeChannel(kNobody), kTimeout);
  EXPECT_FALSE(health.healthy);
  EXPECT_NE(health.detail.find("UNAVAILABLE"), std::string::npos)
      << health.detail;
}

TEST(HealthTest, CommandExitsZeroOneOrTwo) {
  TestServer server(WithHealthService());
  std::ostringstream out, err;
  ConnectionConfig config;
  config.target = server.target();
  EXPECT_EQ(RunHealthCommand(config, kTimeout, out, err), 0);
  EXPECT_NE(out.str().find("SERVING"), std::string::npos);
  config.target = kNobody;
  EXPECT_EQ(RunHealthCommand(config, kTimeout, out, err), 1);
  config.target = "";
  EXPECT_EQ(RunHealthCommand(config, kTimeout, out, err), 2);
}

}  // namespace
}  // namespace tensor_transform::client
