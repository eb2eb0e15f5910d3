// `load` as the command runs it: settings checks, output formats, exit
// status, .npy input, progress line.
#include "client/cli/load_command.h"

#include <sstream>

#include "absl/strings/str_split.h"
#include "client/data/generator.h"
#include "client/data/npy_io.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/client/shared_memory_server.h"
#include "tests/client/subprocess.h"
#include "tests/client/test_server.h"

namespace tensor_transform::client {
namespace {

using testing::TestServer;

class LoadCommandTest : public ::testing::Test {
 protected:
  LoadCommandConfig Config() {
    LoadCommandConfig c;
    c.connection.target = server_.target();
    c.shape = "8x8";
    c.requests = 20;
    c.format = "json";
    return c;
  }

  int Run(const LoadCommandConfig& c) {
    out_.str("");
    err_.str("");
    return RunLoadCommand(c, out_, err_);
  }

  TestServer server_;
  std::ostringstream out_, err_;
};

TEST_F(LoadCommandTest, PrintsJsonThatParses) {
  ASSERT_EQ(Run(Config()), 0) << err_.str();
  const nlohmann::json report = nlohmann::json::parse(out_.str());
  EXPECT_EQ(report["settings"]["target"], server_.target());
  EXPECT_EQ(report["settings"]["rpc mix"], "apply=1");
  ASSERT_EQ(report["levels"].size(), 1u);
  const nlohmann::json& level = report["levels"][0];
  EXPECT_EQ(level["calls"], 20);
  EXPECT_EQ(level["errors"], 0);
  EXPECT_EQ(level["status_codes"]["OK"], 20);
  int64_t histogram_calls = 0;
  for (const auto& bucket : level["histogram_ms"]) {
    EXPECT_LT(bucket[0].get<double>(), bucket[1].get<double>());
    histogram_calls += bucket[2].get<int64_t>();
  }
  EXPECT_EQ(histogram_calls, 20);
  EXPECT_LE(level["latency_ms"]["p50"], level["latency_ms"]["p99_9"]);
  EXPECT_GT(level["time_split_ms"]["server_compute"], 0);
  EXPECT_EQ(err_.str().find('\r'), std::string::npos);  // no progress line
}

TEST_F(LoadCommandTest, CsvHasAHeaderAndARowPerLevel) {
  LoadCommandConfig c = Config();
  c.format = "csv";
  c.sweep = "1:3";
  ASSERT_EQ(Run(c), 0) << err_.str();
  const std::vector<std::string> lines =
      absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u);
  const std::vector<std::string> header = absl::StrSplit(lines[0], ',');
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> row = absl::StrSplit(lines[i], ',');
    ASSERT_EQ(row.size(), header.size()) << lines[i];
    EXPECT_EQ(row[0], std::to_string(i));  // concurrency
    EXPECT_EQ(row[2], "20");               // calls
    EXPECT_EQ(row[24], "OK=20");           // status_codes
  }
}

TEST_F(LoadCommandTest, TableShowsLevelsSplitCodesAndHistogram) {
  LoadCommandConfig c = Config();
  c.format = "table";
  c.rpc = "apply=3,gradient:abs=1";
  c.max_error_rate = 0.5;
  ASSERT_EQ(Run(c), 0) << err_.str();
  const std::string table = out_.str();
  for (const char* part :
       {"p99.9_ms", "GB/s_out", "server compute", "status codes: OK=15;",
        "INVALID_ARGUMENT=5", "mix gradient:abs: 5 calls, 5 errors",
        "latency histogram"}) {
    EXPECT_NE(table.find(part), std::string::npos) << part << "\n" << table;
  }
}

TEST_F(LoadCommandTest, ExitStatusFollowsMaxErrorRate) {
  LoadCommandConfig c = Config();
  c.rpc = "apply=3,gradient:abs=1";  // a quarter are rejected
  EXPECT_EQ(Run(c), 1);
  EXPECT_NE(err_.str().find("exceeds --max_error_rate"), std::string::npos);
  c.max_error_rate = 0.25;
  EXPECT_EQ(Run(c), 0) << err_.str();
  c.max_error_rate = 0.24;
  EXPECT_EQ(Run(c), 1);
}

TEST_F(LoadCommandTest, UnreachableTargetFails) {
  LoadCommandConfig c = Config();
  c.connection.target = "127.0.0.1:1";
  c.timeout = absl::Seconds(2);
  EXPECT_EQ(Run(c), 1);
}

TEST_F(LoadCommandTest, RejectsInvalidSettingsWithTwo) {
  const std::vector<std::function<void(LoadCommandConfig&)>> breaks = {
      [](auto& c) { c.sweep = "1:8:x2", c.rps = 10; },
      [](auto& c) { c.rpc = "apply:fastest"; },
      [](auto& c) { c.method = "fastest"; },
      [](auto& c) { c.mode = "bidi"; },
      [](auto& c) { c.format = "xml"; },
      [](auto& c) { c.warmup = "soon"; },
      [](auto& c) { c.concurrency = 0; },
      [](auto& c) { c.threads = -1; },
      [](auto& c) { c.connection.connections = 0; },
      [](auto& c) { c.max_error_rate = 2; },
      [](auto& c) { c.distribution = "zipf"; },
      [](auto& c) { c.shape = "8x-1"; },
  };
  for (size_t i = 0; i < breaks.size(); ++i) {
    LoadCommandConfig c = Config();
    breaks[i](c);
    EXPECT_EQ(Run(c), 2) << "case " << i << ": " << err_.str();
  }
}

TEST_F(LoadCommandTest, VerifiesSmallTensorsUnlessTold) {
  ASSERT_EQ(Run(Config()), 0);
  EXPECT_EQ(nlohmann::json::parse(out_.str())["settings"]["verify"],
            "every response, against the local reference");
  LoadCommandConfig c = Config();
  c.verify = false;
  ASSERT_EQ(Run(c), 0);
  const nlohmann::json report = nlohmann::json::parse(out_.str());
  EXPECT_EQ(report["settings"]["verify"], "off");
  EXPECT_EQ(report["levels"][0]["time_split_ms"]["verify"], 0);
}

TEST_F(LoadCommandTest, SendsANpyFile) {
  const std::string path = testing::MakeTempDir() + "/x.npy";
  const NpyArray x{
      core::DType::kInt16,
      {3, 5},
      GenerateTensor(core::DType::kInt16, 15, Distribution::kSpecial, 5)};
  ASSERT_TRUE(WriteNpy(path, x).ok());
  LoadCommandConfig c = Config();
  c.in = path;
  c.mode = "stream";
  c.chunk_bytes = 8;
  ASSERT_EQ(Run(c), 0) << err_.str();
  const nlohmann::json report = nlohmann::json::parse(out_.str());
  EXPECT_EQ(report["settings"]["tensor"], "int16 3x5, 30 B, " + path);
  EXPECT_EQ(report["levels"][0]["status_codes"]["OK"], 20);
}

TEST_F(LoadCommandTest, ProgressLineOnlyWhenAsked) {
  LoadCommandConfig c = Config();
  c.progress = true;
  ASSERT_EQ(Run(c), 0);
  EXPECT_NE(err_.str().find("\rc=1  calls 20  errors 0"), std::string::npos)
      << err_.str();
}

TEST(LoadSharedMemoryTest, RunsAndVerifiesEveryCallInRegions) {
  testing::SharedMemoryServer server = testing::StartSharedMemoryServer();
  LoadCommandConfig c;
  c.connection.target = server.target;
  c.connection.connections = 2;
  c.shared_memory = true;
  c.rpc = "apply,inplace,gradient";
  c.shape = "16x9";
  c.sweep = "1:5:+4";  // regions sized for the widest level
  c.requests = 60;
  c.format = "json";
  std::ostringstream out, err;
  ASSERT_EQ(RunLoadCommand(c, out, err), 0) << err.str();
  const nlohmann::json report = nlohmann::json::parse(out.str());
  EXPECT_EQ(report["settings"]["mode"].get<std::string>().substr(0, 3), "shm");
  EXPECT_EQ(report["settings"]["verify"].get<std::string>().substr(0, 5),
            "every");
  ASSERT_EQ(report["levels"].size(), 2u);
  for (const nlohmann::json& level : report["levels"]) {
    EXPECT_EQ(level["calls"], 60);
    EXPECT_EQ(level["errors"], 0);
  }
  EXPECT_TRUE(testing::RegisteredRegions(server.target).empty());
}

TEST(LoadSharedMemoryTest, ServerWithSharedMemoryOffFailsTheRun) {
  testing::SharedMemoryServer server =
      testing::StartSharedMemoryServer(/*enabled=*/false);
  LoadCommandConfig c;
  c.connection.target = server.target;
  c.mode = "shm";
  std::ostringstream out, err;
  EXPECT_EQ(RunLoadCommand(c, out, err), 1);
  EXPECT_NE(err.str().find("FAILED_PRECONDITION"), std::string::npos)
      << err.str();
}

TEST(ParseSweepTest, ParsesRanges) {
  EXPECT_EQ(*ParseSweep("1:64:x2"), (std::vector<int>{1, 2, 4, 8, 16, 32, 64}));
  EXPECT_EQ(*ParseSweep("2:8:+2"), (std::vector<int>{2, 4, 6, 8}));
  EXPECT_EQ(*ParseSweep("2:7:3"), (std::vector<int>{2, 5}));
  EXPECT_EQ(*ParseSweep("1:3"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(*ParseSweep("8"), (std::vector<int>{8}));
  for (const char* bad :
       {"", "0:4", "4:2", "1:8:x1", "1:8:+0", "1:2:3:4", "a:b", "1:100"}) {
    EXPECT_EQ(ParseSweep(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ParseWarmupTest, TakesCallsOrADuration) {
  EXPECT_FALSE(ParseWarmup("")->calls.has_value());
  EXPECT_EQ(ParseWarmup("100")->calls, 100);
  const Warmup timed = *ParseWarmup("1.5s");
  EXPECT_EQ(timed.time, absl::Milliseconds(1500));
  EXPECT_EQ(timed.calls, 0);
  EXPECT_FALSE(ParseWarmup("-3").ok());
  EXPECT_FALSE(ParseWarmup("soon").ok());
}

}  // namespace
}  // namespace tensor_transform::client
