// StartServer's config checks and lifecycle, and the tensor_transform_server
// binary as scripts use it: parse the logged port, call it, SIGTERM, exit 0.
#include "server/server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "tests/server/server_process.h"

namespace tensor_transform::server {
namespace {

ServerConfig LoopbackConfig() {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  return config;
}

grpc::Status CallDescribe(const std::string& target) {
  auto stub = v1::TensorTransform::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  v1::DescribeResponse response;
  grpc::ClientContext context;
  return stub->Describe(&context, v1::DescribeRequest(), &response);
}

grpc::Status CallDescribe(int port) {
  return CallDescribe(absl::StrCat("127.0.0.1:", port));
}

// A Unix socket path unique to this test process.
std::string SocketPath() {
  return absl::StrCat(testing::TempDir(), "server_test_", getpid(), ".sock");
}

TEST(StartServer, RejectsBadConfig) {
  const std::vector<std::pair<std::string, std::function<void(ServerConfig&)>>>
      bad = {
          {"cap too small", [](auto& c) { c.max_message_bytes = 1023; }},
          {"cap too large",
           [](auto& c) {
             c.max_message_bytes = int64_t{1} << 31;
             c.memory_budget_bytes = int64_t{1} << 40;
           }},
          {"negative threads", [](auto& c) { c.threads = -1; }},
          {"empty listen", [](auto& c) { c.listen = ""; }},
          {"empty second address", [](auto& c) { c.listen = "127.0.0.1:0,"; }},
          {"budget under 4 messages",
           [](auto& c) {
             c.memory_budget_bytes = 4 * c.max_message_bytes - 1;
           }},
          {"no streams", [](auto& c) { c.max_concurrent_streams = 0; }},
          {"zero grace",
           [](auto& c) { c.grace_period = absl::ZeroDuration(); }},
          {"negative keepalive",
           [](auto& c) { c.keepalive_time = -absl::Seconds(1); }},
          {"zero connection age",
           [](auto& c) { c.max_connection_age = absl::ZeroDuration(); }},
          {"key without cert",
           [](auto& c) { c.security.tls_key_file = "key.pem"; }},
          {"client CA without TLS",
           [](auto& c) { c.security.tls_client_ca_file = "ca.pem"; }},
          {"token without TLS",
           [](auto& c) { c.security.auth_token_file = "token"; }},
          {"bad metrics address",
           [](auto& c) { c.metrics_listen = "nowhere"; }},
      };
  for (const auto& [name, change] : bad) {
    ServerConfig config = LoopbackConfig();
    change(config);
    EXPECT_EQ(StartServer(config).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST(StartServer, ReportsUnreadableCertificateFiles) {
  ServerConfig config = LoopbackConfig();
  config.security.tls_cert_file = "/nonexistent/cert.pem";
  config.security.tls_key_file = "/nonexistent/key.pem";
  EXPECT_EQ(StartServer(config).status().code(), absl::StatusCode::kNotFound);
}

TEST(StartServer, ReportsUnavailableWhenPortIsTaken) {
  auto first = StartServer(LoopbackConfig());
  ASSERT_TRUE(first.ok()) << first.status();
  ServerConfig config;
  config.listen = absl::StrCat("127.0.0.1:", (*first)->port());
  EXPECT_EQ(StartServer(config).status().code(),
            absl::StatusCode::kUnavailable);
  ServerConfig metrics = LoopbackConfig();
  metrics.metrics_listen = absl::StrCat("127.0.0.1:", (*first)->port());
  EXPECT_EQ(StartServer(metrics).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(StartServer, ServesWithOneThreadAndShutsDownTwice) {
  ServerConfig config = LoopbackConfig();
  config.threads = 1;
  auto server = StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->metrics_port(), 0);
  EXPECT_TRUE(CallDescribe((*server)->port()).ok());
  (*server)->Shutdown();
  (*server)->Shutdown();
  (*server)->Wait();
}

TEST(StartServer, ServesTcpAndUnixSocketAlike) {
  ServerConfig config = LoopbackConfig();
  config.listen = absl::StrCat("127.0.0.1:0,unix:", SocketPath());
  auto server = StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(
      (*server)->addresses(),
      (std::vector<std::string>{absl::StrCat("127.0.0.1:", (*server)->port()),
                                absl::StrCat("unix:", SocketPath())}));
  for (const std::string& target : (*server)->addresses()) {
    EXPECT_TRUE(CallDescribe(target).ok()) << target;
  }
}

TEST(ServerBinary, LogsPortServesAndExitsZeroOnSigterm) {
  auto server = test_support::ServerProcess::Start({});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(CallDescribe((*server)->port()).ok());
  (*server)->Signal(SIGTERM);
  EXPECT_EQ((*server)->WaitExit(), 0) << (*server)->Log();
}

TEST(ServerBinary, LogsEveryAddressItListensOn) {
  const std::string unix_target = absl::StrCat("unix:", SocketPath());
  auto server = test_support::ServerProcess::Start(
      {absl::StrCat("--listen=127.0.0.1:0,", unix_target)});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_NE((*server)->Log().find(absl::StrCat(
                "listening on ", (*server)->target(), ",", unix_target, "\n")),
            std::string::npos)
      << (*server)->Log();
  EXPECT_TRUE(CallDescribe(unix_target).ok());
  (*server)->Signal(SIGTERM);
  EXPECT_EQ((*server)->WaitExit(), 0) << (*server)->Log();
}

TEST(ServerBinary, RefusesBadFlagsNamingThem) {
  auto server =
      test_support::ServerProcess::Start({"--memory_budget_bytes=1024"});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(server.status().message().find("memory_budget_bytes"),
            std::string::npos)
      << server.status();
}

}  // namespace
}  // namespace tensor_transform::server
