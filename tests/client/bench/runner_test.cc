#include "client/bench/runner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/bench/report.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/server.h"
#include "tests/client/shared_memory_server.h"

namespace tensor_transform::client {
namespace {

class BenchTest : public ::testing::Test {
 protected:
  void Start(int64_t max_message_bytes) {
    server::ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.max_message_bytes = max_message_bytes;
    auto started = server::StartServer(config);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
    client_ = std::make_unique<TensorClient>(
        MakeChannel(absl::StrCat("127.0.0.1:", server_->port())));
  }

  BenchConfig SmallConfig() {
    BenchConfig config;
    config.shape = {64, 33};
    config.repeats = 3;
    config.chunk_bytes = 1000;  // several chunks, not a multiple of 8
    return config;
  }

  std::unique_ptr<server::RunningServer> server_;
  std::unique_ptr<TensorClient> client_;
};

TEST_F(BenchTest, RunsAndVerifiesEveryRow) {
  Start(int64_t{1} << 20);
  for (core::DType dtype : core::kAllDTypes) {
    BenchConfig config = SmallConfig();
    config.dtype = dtype;
    absl::StatusOr<std::vector<BenchRow>> rows = RunBench(*client_, config);
    ASSERT_TRUE(rows.ok()) << rows.status();
    // Apply and ApplyInPlace x 4 methods x 2 modes, Gradient x 2 modes.
    ASSERT_EQ(rows->size(), 18u);
    for (const BenchRow& row : *rows) {
      EXPECT_TRUE(row.verified)
          << RpcName(row.rpc) << " " << core::MethodName(row.method);
      EXPECT_EQ(row.repeats, 3);
      EXPECT_LE(row.latency_ms.min, row.latency_ms.p50);
      EXPECT_LE(row.latency_ms.p50, row.latency_ms.p90);
      EXPECT_LE(row.latency_ms.p90, row.latency_ms.p99);
      EXPECT_LE(row.latency_ms.p99, row.latency_ms.max);
      EXPECT_GT(row.throughput_gbps, 0);
    }
  }
}

TEST_F(BenchTest, SkipsUnaryRowsAboveTheServerCap) {
  Start(16 * 1024);  // 64 x 33 float64 = 16896 bytes: over the cap
  std::vector<std::string> progress;
  BenchConfig config = SmallConfig();
  config.progress = [&](const std::string& line) { progress.push_back(line); };
  absl::StatusOr<std::vector<BenchRow>> rows = RunBench(*client_, config);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 9u);
  for (const BenchRow& row : *rows) EXPECT_EQ(row.mode, Mode::kStream);
  EXPECT_NE(progress.front().find("skipped"), std::string::npos);
}

TEST_F(BenchTest, JsonAndCsvCarryEveryRow) {
  Start(int64_t{1} << 20);
  BenchConfig config = SmallConfig();
  config.rpcs = {Rpc::kGradient};
  absl::StatusOr<std::vector<BenchRow>> rows = RunBench(*client_, config);
  ASSERT_TRUE(rows.ok()) << rows.status();
  const nlohmann::json json =
      nlohmann::json::parse(FormatRows(*rows, ReportFormat::kJson));
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["rpc"], "gradient");
  EXPECT_EQ(json[0]["method"], "multiply");
  EXPECT_EQ(json[0]["shape"], nlohmann::json({64, 33}));
  EXPECT_TRUE(json[0]["latency_ms"].contains("p99"));
  EXPECT_TRUE(json[0]["server_compute_ms"].contains("p50"));
  EXPECT_EQ(json[1]["verified"], true);
  const std::vector<std::string> lines = absl::StrSplit(
      FormatRows(*rows, ReportFormat::kCsv), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(std::count(lines[1].begin(), lines[1].end(), ','),
            std::count(lines[0].begin(), lines[0].end(), ','));
}

TEST(BenchSharedMemoryTest, RunsRowsOfModeShmInARegion) {
  testing::SharedMemoryServer server = testing::StartSharedMemoryServer();
  TensorClient client(MakeChannel(server.target));
  for (core::DType dtype : core::kAllDTypes) {
    BenchConfig config;
    config.dtype = dtype;
    config.shape = {64, 33};
    config.repeats = 2;
    config.modes = {Mode::kSharedMemory};
    absl::StatusOr<std::vector<BenchRow>> rows = RunBench(client, config);
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), 9u);  // Apply, ApplyInPlace x 4, Gradient
    for (const BenchRow& row : *rows) {
      EXPECT_EQ(row.mode, Mode::kSharedMemory);
      EXPECT_TRUE(row.verified)
          << RpcName(row.rpc) << " " << core::MethodName(row.method);
    }
  }
  EXPECT_TRUE(testing::RegisteredRegions(server.target).empty());
}

TEST(BenchSharedMemoryTest, FailsWithTheServersStatusWhenItIsOff) {
  testing::SharedMemoryServer server =
      testing::StartSharedMemoryServer(/*enabled=*/false);
  TensorClient client(MakeChannel(server.target));
  BenchConfig config;
  config.shape = {8};
  config.modes = {Mode::kUnary, Mode::kSharedMemory};
  EXPECT_EQ(RunBench(client, config).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace tensor_transform::client
