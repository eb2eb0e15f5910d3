// The load runner against real servers on loopback: counts, percentiles,
// open loop under a deliberate stall, status codes, connections, streams,
// verification.
#include "client/load/runner.h"

#include <algorithm>
#include <map>

#include "absl/time/clock.h"
#include "client/data/generator.h"
#include "client/stats/summary.h"
#include "gtest/gtest.h"
#include "tests/client/holding_server.h"
#include "tests/client/test_server.h"

namespace tensor_transform::client {
namespace {

using testing::TestServer;
using testing::TestServerOptions;

constexpr uint64_t kSeed = 7;

NpyArray SmallTensor(Distribution distribution = Distribution::kUniform) {
  return {core::DType::kFloat32,
          {16, 8},
          GenerateTensor(core::DType::kFloat32, 128, distribution, kSeed)};
}

LoadWorkload Workload(const std::string& mix, Mode mode = Mode::kUnary,
                      NpyArray tensor = SmallTensor()) {
  return LoadWorkload(*ParseCallMix(mix, std::nullopt), mode, 200,
                      std::move(tensor), /*verify=*/true);
}

// Owns the channels to one target.
struct Clients {
  Clients(const std::string& target, int n) {
    for (int i = 0; i < n; ++i) {
      owned.push_back(std::make_unique<TensorClient>(MakeChannel(target)));
      raw.push_back(owned.back().get());
    }
  }
  std::vector<std::unique_ptr<TensorClient>> owned;
  std::vector<TensorClient*> raw;
};

LoadShape Shape(int concurrency, int64_t requests) {
  LoadShape shape;
  shape.concurrency = concurrency;
  shape.requests = requests;
  return shape;
}

// One level of `mix` against `server` over `connections` channels.
LevelResult RunMix(const TestServer& server, const std::string& mix,
                   const LoadShape& shape, int connections = 1,
                   Mode mode = Mode::kUnary, NpyArray tensor = SmallTensor()) {
  Clients clients(server.target(), connections);
  const LoadWorkload workload = Workload(mix, mode, std::move(tensor));
  return RunLevel(shape, workload, clients.raw);
}

std::map<std::string, int64_t> Codes(const LevelResult& level) {
  std::map<std::string, int64_t> codes;
  for (const CodeCount& c : level.codes) codes[c.code] = c.count;
  return codes;
}

TEST(LoadRunnerTest, CountsAddUp) {
  TestServer server;
  LoadShape shape = Shape(3, 200);
  const LevelResult level =
      RunMix(server, "apply:maximum=3,gradient:multiply=1", shape, 2);
  EXPECT_EQ(level.calls, 200);
  EXPECT_EQ(level.errors, 0);
  EXPECT_EQ(level.histogram.count(), 200);
  EXPECT_EQ(Codes(level), (std::map<std::string, int64_t>{{"OK", 200}}));
  ASSERT_EQ(level.entries.size(), 2u);
  EXPECT_EQ(level.entries[0].label, "apply:maximum");
  EXPECT_EQ(level.entries[0].calls + level.entries[1].calls, 200);
  // 200 consecutive calls are 50 whole periods of the 3:1 order.
  EXPECT_EQ(level.entries[0].calls, 150);
  int64_t timeline_calls = 0;
  for (const TimelinePoint& p : level.timeline) timeline_calls += p.calls;
  EXPECT_EQ(timeline_calls, 200);
  EXPECT_GT(level.calls_per_s, 0);
  // 200 calls of 512 bytes each way.
  EXPECT_NEAR(level.gbps_out * level.elapsed_s * 1e9, 200 * 512, 1);
  EXPECT_NEAR(level.gbps_in * level.elapsed_s * 1e9, 200 * 512, 1);
  EXPECT_GT(level.split.server_compute_ms, 0);
  EXPECT_GT(level.split.serialize_ms, 0);
  EXPECT_GT(level.split.deserialize_ms, 0);
  EXPECT_EQ(level.split.schedule_wait_ms, 0);  // closed loop
}

TEST(LoadRunnerTest, PercentilesAreOrderedAndMatchExactOnes) {
  TestServer server;
  LoadShape shape = Shape(2, 300);
  shape.keep_latencies = true;
  const LevelResult level = RunMix(server, "apply", shape);
  ASSERT_EQ(level.latencies_ns.size(), 300u);
  std::vector<double> exact_ms;
  for (int64_t ns : level.latencies_ns) exact_ms.push_back(ns / 1e6);
  std::sort(exact_ms.begin(), exact_ms.end());
  const LatencySummary& m = level.latency_ms;
  const double e = LatencyHistogram::kMaxRelativeError;
  const std::pair<double, double> checks[] = {
      {m.p50, NearestRank(exact_ms, 50)},
      {m.p90, NearestRank(exact_ms, 90)},
      {m.p95, NearestRank(exact_ms, 95)},
      {m.p99, NearestRank(exact_ms, 99)},
      {m.p999, NearestRank(exact_ms, 99.9)}};
  for (const auto& [reported, exact] : checks) {
    EXPECT_LE(std::abs(reported - exact), exact * e) << exact;
  }
  EXPECT_DOUBLE_EQ(m.min, exact_ms.front());
  EXPECT_DOUBLE_EQ(m.max, exact_ms.back());
  EXPECT_LE(m.min, m.p50);
  EXPECT_LE(m.p50, m.p90);
  EXPECT_LE(m.p90, m.p95);
  EXPECT_LE(m.p95, m.p99);
  EXPECT_LE(m.p99, m.p999);
  EXPECT_LE(m.p999, m.max);
}

// The server stalls call 20 for 300 ms while calls are scheduled every
// 10 ms. Open loop, the calls scheduled during the stall wait and that wait
// is part of their latency: ~30 calls see 10..300 ms, so p90 is far above a
// normal call. (A closed loop would show one slow call and hide the rest.)
TEST(LoadRunnerTest, OpenLoopReportsAnInjectedStallInTheTail) {
  constexpr absl::Duration kStall = absl::Milliseconds(300);
  TestServerOptions options;
  options.before_unary = [&](int64_t call, const std::string&) {
    if (call == 20) absl::SleepFor(kStall);
  };
  TestServer server(options);
  LoadShape shape = Shape(1, 100);
  shape.warmup_calls = 0;
  shape.rps = 100;
  const LevelResult level = RunMix(server, "apply", shape);
  EXPECT_EQ(level.calls, 100);
  EXPECT_DOUBLE_EQ(level.target_rps, 100);
  EXPECT_GE(level.latency_ms.max, absl::ToDoubleMilliseconds(kStall));
  // Calls 20..35 each took at least 150 ms: 16 of 100, so p90 >= 150 ms
  // (140: the histogram may report up to 0.4% low).
  EXPECT_GE(level.latency_ms.p90, 140);
  // Their mean wait for a free slot: at least (290 + 280 + ... + 10) / 100.
  EXPECT_GE(level.split.schedule_wait_ms, 40);
}

TEST(LoadRunnerTest, InvalidRequestsInAMixShowTheirExactCode) {
  TestServer server;
  LoadShape shape = Shape(2, 100);
  shape.warmup_calls = 0;
  const LevelResult level = RunMix(
      server, "apply:maximum=2,gradient:abs=1,gradient:multiply=1", shape);
  EXPECT_EQ(Codes(level), (std::map<std::string, int64_t>{
                              {"OK", 75}, {"INVALID_ARGUMENT", 25}}));
  EXPECT_EQ(level.errors, 25);
  ASSERT_EQ(level.messages.size(), 1u);
  EXPECT_EQ(level.messages[0].code, "INVALID_ARGUMENT");
  EXPECT_EQ(level.messages[0].count, 25);
  EXPECT_NE(level.messages[0].message.find("MULTIPLY"), std::string::npos);
  EXPECT_EQ(level.entries[1].label, "gradient:abs");
  EXPECT_EQ(level.entries[1].errors, 25);
  EXPECT_EQ(level.entries[2].errors, 0);
}

TEST(LoadRunnerTest, CallsPastTheirDeadlineCountAsDeadlineExceeded) {
  TestServerOptions options;
  options.before_unary = [](int64_t, const std::string&) {
    absl::SleepFor(absl::Milliseconds(400));
  };
  TestServer server(options);
  LoadShape shape = Shape(4, 4);
  shape.warmup_calls = 0;
  shape.call_options.timeout = absl::Milliseconds(50);
  const LevelResult level = RunMix(server, "apply", shape);
  EXPECT_EQ(Codes(level),
            (std::map<std::string, int64_t>{{"DEADLINE_EXCEEDED", 4}}));
  EXPECT_EQ(level.errors, 4);
  // Counted at their deadline, not at once; gRPC may fire a deadline a few
  // ms before the client's own clock says 50 ms, hence the margin.
  EXPECT_GE(level.latency_ms.min, 25);
}

// Two threads keep 64 calls in flight at once, unary and streaming: the
// server answers none until all 64 have arrived.
TEST(LoadRunnerTest, TwoThreadsKeepEveryCallInFlight) {
  constexpr int kInFlight = 64;
  for (Mode mode : {Mode::kUnary, Mode::kStream}) {
    testing::HoldingServer server(kInFlight);
    Clients clients(server.target(), 2);
    // Unverified: the holding server does not compute.
    const LoadWorkload workload(*ParseCallMix("apply", std::nullopt), mode, 200,
                                SmallTensor(), /*verify=*/false);
    LoadShape shape = Shape(kInFlight, kInFlight);
    shape.warmup_calls = 0;
    shape.threads = 2;
    shape.call_options.timeout = absl::Seconds(10);
    const LevelResult level = RunLevel(shape, workload, clients.raw);
    EXPECT_EQ(Codes(level), (std::map<std::string, int64_t>{{"OK", kInFlight}}))
        << ModeName(mode);
    EXPECT_GT(level.client_threads, 2);
  }
}

// Open loop with more slots than threads: every call starts, and each
// latency counts from its scheduled start.
TEST(LoadRunnerTest, OpenLoopRunsOnFewerThreadsThanSlots) {
  TestServer server;
  LoadShape shape = Shape(32, 200);
  shape.warmup_calls = 0;
  shape.rps = 1000;
  shape.threads = 1;
  const LevelResult level = RunMix(server, "apply", shape);
  EXPECT_EQ(level.calls, 200);
  EXPECT_EQ(level.errors, 0);
  EXPECT_DOUBLE_EQ(level.target_rps, 1000);
  // 200 calls scheduled 1 ms apart span at least 199 ms.
  EXPECT_GE(level.elapsed_s, 0.199);
}

TEST(LoadRunnerTest, SpreadsCallsOverDistinctConnections) {
  TestServer server;
  LoadShape shape = Shape(6, 60);
  RunMix(server, "apply", shape, 3);
  EXPECT_EQ(server.peers().size(), 3u);
}

TEST(LoadRunnerTest, StreamsVerifySpecialValues) {
  TestServer server;
  LoadShape shape = Shape(2, 30);
  const LevelResult level =
      RunMix(server, "apply:abs,inplace:masked,gradient", shape, 1,
             Mode::kStream, SmallTensor(Distribution::kSpecial));
  EXPECT_EQ(level.calls, 30);
  EXPECT_EQ(level.errors, 0);
  EXPECT_EQ(level.wrong_results, 0);
  EXPECT_GT(level.split.serialize_ms, 0);
}

TEST(LoadRunnerTest, WrongResultsAreErrors) {
  TestServerOptions options;
  options.after_unary = [](v1::TransformResponse* response) {
    (*response->mutable_tensor()->mutable_data())[3] ^= 1;
  };
  TestServer server(options);
  LoadShape shape = Shape(1, 10);
  const LevelResult level = RunMix(server, "apply", shape);
  EXPECT_EQ(level.wrong_results, 10);
  EXPECT_EQ(level.errors, 10);
  EXPECT_EQ(Codes(level), (std::map<std::string, int64_t>{{kWrongResult, 10}}));
}

TEST(LoadRunnerTest, DurationAndTimedWarmupBoundTheRun) {
  TestServer server;
  Clients clients(server.target(), 1);
  const LoadWorkload workload = Workload("apply");
  LoadShape shape;
  shape.concurrency = 2;
  shape.duration = absl::Milliseconds(300);
  shape.warmup_calls = 0;
  shape.warmup_time = absl::Milliseconds(100);
  std::vector<LoadProgress> reports;
  ProgressSink progress;
  progress.interval = absl::Milliseconds(50);
  progress.report = [&](const LoadProgress& p) { reports.push_back(p); };
  const LevelResult level = RunLevel(shape, workload, clients.raw, progress);
  EXPECT_GT(level.calls, 0);
  EXPECT_EQ(level.errors, 0);
  ASSERT_FALSE(reports.empty());
  EXPECT_TRUE(reports.back().done);
  EXPECT_EQ(reports.back().calls, level.calls);
  for (size_t i = 1; i < reports.size(); ++i) {
    EXPECT_GE(reports[i].calls, reports[i - 1].calls);
  }
}

TEST(LoadRunnerTest, SweepRunsEachLevelAndStopsPastMaxP99) {
  TestServer server;
  Clients clients(server.target(), 2);
  const LoadWorkload workload = Workload("apply");
  LoadShape shape;
  shape.requests = 20;
  const std::vector<LevelResult> all =
      RunSweep(shape, {1, 2, 4}, std::nullopt, workload, clients.raw);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].concurrency, 4);
  EXPECT_FALSE(all[2].over_max_p99);
  // Any real call takes more than a nanosecond: the first level stops it.
  const std::vector<LevelResult> stopped =
      RunSweep(shape, {1, 2, 4}, absl::Nanoseconds(1), workload, clients.raw);
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_TRUE(stopped[0].over_max_p99);
}

}  // namespace
}  // namespace tensor_transform::client
