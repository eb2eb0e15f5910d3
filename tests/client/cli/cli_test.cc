// tensor_transform_client as scripts and container health checks run it:
// --help, load with exit status, health.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/server.h"
#include "tests/client/shared_memory_server.h"
#include "tests/client/subprocess.h"
#include "tests/client/test_server.h"
#include "tests/server/test_certs.h"

namespace tensor_transform::client {
namespace {

using testing::RunCommand;
using testing::TestServer;
using testing::TestServerOptions;

std::string Client(const std::string& args) {
  return absl::StrCat(TT_CLIENT_BINARY, " ", args);
}

TEST(CliTest, HelpListsTheLoadFlags) {
  const auto help = RunCommand(Client("--help"));
  for (const char* flag :
       {"--concurrency", "--connections", "--requests",     "--duration",
        "--warmup",      "--rps",         "--sweep",        "--max_p99",
        "--rpc",         "--method",      "--mode",         "--chunk_bytes",
        "--shape",       "--dtype",       "--distribution", "--in",
        "--verify",      "--format",      "--report",       "--max_error_rate",
        "--timeout",     "--threads",     "health"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  }
}

// As scripts/bench.sh's colocated stage runs it: over a Unix socket, rows of
// mode shm beside unary ones.
TEST(CliTest, BenchSharedMemoryOverAUnixSocket) {
  const std::string socket =
      absl::StrCat("unix:", testing::MakeTempDir(), "/tt.sock");
  testing::SharedMemoryServer server =
      testing::StartSharedMemoryServer(true, int64_t{1} << 20, socket);
  const auto run = RunCommand(Client(absl::StrCat(
      "bench --shared_memory --modes=unary --target=", socket,
      " --shape=32x32 --repeats=2 --rpcs=inplace,gradient --format=json")));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json rows = nlohmann::json::parse(run.output);
  ASSERT_EQ(rows.size(), 10u);  // (ApplyInPlace x 4 + Gradient) x 2 modes
  int shm_rows = 0;
  for (const nlohmann::json& row : rows) {
    EXPECT_EQ(row["verified"], true);
    shm_rows += row["mode"] == "shm";
  }
  EXPECT_EQ(shm_rows, 5);
}

TEST(CliTest, LoadPrintsJsonAndExitsZero) {
  TestServer server;
  const std::string err_path = testing::MakeTempDir() + "/stderr";
  const auto run = RunCommand(Client(
      absl::StrCat("load --target=", server.target(),
                   " --shape=8x8 --requests=50 --concurrency=2 --connections=2"
                   " --format=json 2>",
                   err_path)));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json report = nlohmann::json::parse(run.output);
  EXPECT_EQ(report["levels"][0]["calls"], 50);
  EXPECT_EQ(server.peers().size(), 2u);
  // stderr is a file, not a terminal: no progress line.
  const auto err = RunCommand("cat " + err_path);
  EXPECT_EQ(err.output.find('\r'), std::string::npos) << err.output;
}

// The calls in flight cost memory, not threads: 256 of them run on the
// two threads asked for, plus gRPC's own few. (The server runs in this test
// process, so that its threads are not counted.)
TEST(CliTest, LoadRunsManyCallsInFlightOnFewThreads) {
  TestServer server;
  const auto run = RunCommand(Client(
      absl::StrCat("load --target=", server.target(),
                   " --shape=16 --requests=2000 --concurrency=256 --threads=2"
                   " --connections=4 --format=json 2>/dev/null")));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const nlohmann::json level = nlohmann::json::parse(run.output)["levels"][0];
  EXPECT_EQ(level["calls"], 2000);
  EXPECT_EQ(level["errors"], 0);
  EXPECT_GE(level["client_threads"], 3);  // main and the two drivers
  EXPECT_LT(level["client_threads"], 32);
}

TEST(CliTest, LoadExitsOneAboveMaxErrorRate) {
  TestServer server;
  const std::string load = absl::StrCat(
      "load --target=", server.target(),
      " --shape=8x8 --requests=40 --rpc=apply=1,gradient:abs=1 --format=csv");
  EXPECT_EQ(RunCommand(Client(load + " 2>/dev/null")).exit_code, 1);
  EXPECT_EQ(
      RunCommand(Client(load + " --max_error_rate=0.5 2>/dev/null")).exit_code,
      0);
  EXPECT_EQ(
      RunCommand(Client(load + " --sweep=1:2 --rps=5 2>/dev/null")).exit_code,
      2);
}

TEST(CliTest, HealthExitsZeroWhenServingAndOneOtherwise) {
  TestServerOptions options;
  options.health_service = true;
  TestServer server(options);
  EXPECT_EQ(RunCommand(Client("health --target=" + server.target())).exit_code,
            0);
  server.server().GetHealthCheckService()->SetServingStatus(false);
  EXPECT_EQ(
      RunCommand(Client("health --target=" + server.target() + " 2>/dev/null"))
          .exit_code,
      1);
  EXPECT_EQ(RunCommand(Client("health --target=127.0.0.1:1 --timeout=2s "
                              "2>/dev/null"))
                .exit_code,
            1);
}

// The server's --tls_* and --auth_token_file flags have client twins, and
// every command's channel uses them.
TEST(CliTest, LoadAndHealthSpeakMutualTlsWithAToken) {
  using server::test_support::TestCerts;
  const TestCerts& certs = TestCerts::Get();
  const std::string token =
      server::test_support::WriteTestFile("cli_token", "s3cret\n");
  server::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.security.tls_cert_file = certs.server_cert;
  config.security.tls_key_file = certs.server_key;
  config.security.tls_client_ca_file = certs.ca_cert;
  config.security.auth_token_file = token;
  auto server = server::StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string target =
      absl::StrCat(" --target=127.0.0.1:", (*server)->port());
  const std::string tls = absl::StrCat(" --tls_ca=", certs.ca_cert,
                                       " --tls_cert=", certs.client_cert,
                                       " --tls_key=", certs.client_key);
  const std::string load =
      "load --shape=8x8 --requests=20 --format=json" + target + tls;

  const auto with_token =
      RunCommand(Client(load + " --auth_token_file=" + token + " 2>/dev/null"));
  ASSERT_EQ(with_token.exit_code, 0) << with_token.output;
  EXPECT_EQ(nlohmann::json::parse(with_token.output)["levels"][0]["calls"], 20);
  EXPECT_EQ(RunCommand(
                Client("health" + target + tls + " --auth_token_file=" + token))
                .exit_code,
            0);
  const auto without_token = RunCommand(Client(load + " 2>/dev/null"));
  EXPECT_EQ(without_token.exit_code, 1);
  EXPECT_EQ(
      nlohmann::json::parse(
          without_token.output)["levels"][0]["status_codes"]["UNAUTHENTICATED"],
      20);
}

}  // namespace
}  // namespace tensor_transform::client
