// The Prometheus metrics and the plain-HTTP endpoint that serves them: the
// collectables alone, the endpoint alone (concurrent scrapes, stalled peers),
// then a real server's counters after calls whose outcome the test knows.
#include "server/telemetry/metrics.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"
#include "server/telemetry/computed_gauges.h"
#include "server/telemetry/metrics_endpoint.h"
#include "tests/server/scrape.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::HttpConnection;
using test_support::HttpGet;
using test_support::HttpReply;
using test_support::HttpRequest;
using test_support::MetricValue;

constexpr char kApplyLabels[] =
    "grpc_service=\"tensor_transform.v1.TensorTransform\",grpc_method="
    "\"Apply\"";
constexpr char kOkAbsCalls[] =
    "tensor_transform_requests_total{grpc_service=\"tensor_transform.v1."
    "TensorTransform\",grpc_method=\"Apply\",relu_method=\"abs\",grpc_code="
    "\"OK\"}";

CallRecord OkApply() {
  return {"tensor_transform.v1.TensorTransform",
          "Apply",
          "abs",
          grpc::StatusCode::OK,
          800,
          800,
          0.003,
          0.0002};
}

std::string Exposition(const prometheus::Collectable& collectable) {
  return prometheus::TextSerializer().Serialize(collectable.Collect());
}

TEST(Metrics, CollectsCountersHistogramsAndInFlightCalls) {
  Metrics metrics;
  metrics.CallStarted();
  metrics.CallStarted();
  metrics.CallFinished(OkApply());
  metrics.AdmissionRejected();
  const std::string text = Exposition(metrics);
  EXPECT_EQ(MetricValue(text, kOkAbsCalls), 1);
  EXPECT_EQ(
      MetricValue(text, absl::StrCat("tensor_transform_payload_received_bytes_"
                                     "total{",
                                     kApplyLabels, "}")),
      800);
  // 3 ms falls in the bucket bounded by 5 ms, not in the one by 2.5 ms.
  const std::string latency =
      absl::StrCat("tensor_transform_request_duration_seconds_bucket{",
                   kApplyLabels, ",le=\"");
  EXPECT_EQ(MetricValue(text, absl::StrCat(latency, "0.0025\"}")), 0);
  EXPECT_EQ(MetricValue(text, absl::StrCat(latency, "0.005\"}")), 1);
  EXPECT_EQ(MetricValue(text, absl::StrCat(latency, "+Inf\"}")), 1);
  EXPECT_EQ(MetricValue(text, "tensor_transform_in_flight_requests"), 1);
  EXPECT_EQ(MetricValue(text, "tensor_transform_admission_rejected_total"), 1);
  for (const char* type :
       {"# TYPE tensor_transform_requests_total counter\n",
        "# TYPE tensor_transform_compute_duration_seconds histogram\n",
        "# TYPE tensor_transform_in_flight_requests gauge\n"}) {
    EXPECT_NE(text.find(type), std::string::npos) << type;
  }
}

TEST(ComputedGauges, ComputesAtEachCollect) {
  double value = 2.5;
  ComputedGauges gauges([&] {
    return std::vector<ComputedGauges::Gauge>{
        {"some_gauge", "A gauge.", value}};
  });
  EXPECT_EQ(MetricValue(Exposition(gauges), "some_gauge"), 2.5);
  value = 4;
  const std::string text = Exposition(gauges);
  EXPECT_EQ(MetricValue(text, "some_gauge"), 4);
  EXPECT_NE(text.find("# HELP some_gauge A gauge.\n# TYPE some_gauge gauge\n"),
            std::string::npos);
}

TEST(ProcessMemory, ReadsThisProcess) {
  const ProcessMemory memory = ReadProcessMemory();
  EXPECT_GT(memory.resident_bytes, 0);
  EXPECT_GE(memory.peak_resident_bytes, memory.resident_bytes);
}

class MetricsEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto endpoint = MetricsEndpoint::Start("127.0.0.1:0", {&metrics_},
                                           [this] { return serving_.load(); });
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = *std::move(endpoint);
    port_ = endpoint_->port();
  }

  Metrics metrics_;
  std::atomic<bool> serving_{true};
  std::unique_ptr<MetricsEndpoint> endpoint_;
  int port_ = 0;
};

TEST_F(MetricsEndpointTest, ServesMetricsAndHealthzOnly) {
  metrics_.CallStarted();
  metrics_.CallFinished(OkApply());
  EXPECT_EQ(MetricValue(HttpGet(port_, "/metrics?x=1").body, kOkAbsCalls), 1);
  const HttpReply head = HttpRequest(port_, "HEAD /metrics HTTP/1.0");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  const HttpReply health = HttpGet(port_, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "SERVING\n");
  serving_ = false;
  const HttpReply draining = HttpGet(port_, "/healthz");
  EXPECT_EQ(draining.status, 503);
  EXPECT_EQ(draining.body, "NOT_SERVING\n");
  for (const char* path : {"/", "/other", "/metrics/x", "/healthzz"}) {
    EXPECT_EQ(HttpGet(port_, path).status, 404) << path;
  }
  EXPECT_GE(HttpRequest(port_, "POST /metrics HTTP/1.0").status, 400);
  EXPECT_EQ(HttpRequest(port_, "nonsense").status, 400);
}

// The old endpoint answered one connection at a time: a peer stalled
// mid-request held every other until its timeout, then got nothing.
TEST_F(MetricsEndpointTest, AnswersWhilePeersStallMidRequest) {
  std::vector<std::unique_ptr<HttpConnection>> stalled;
  for (int i = 0; i < MetricsEndpoint::kThreads - 1; ++i) {
    stalled.push_back(std::make_unique<HttpConnection>(port_));
    ASSERT_TRUE(stalled.back()->connected());
    stalled.back()->Send("GET /metrics HTTP/1.0\r\n");
  }
  EXPECT_EQ(HttpGet(port_, "/healthz").status, 200);
  for (auto& connection : stalled) {
    connection->Send("\r\n");
    const HttpReply reply = connection->ReadReply();
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(MetricValue(reply.body, "tensor_transform_in_flight_requests"),
              0);
  }
}

TEST_F(MetricsEndpointTest, ScrapesConcurrentlyWithCallsRecorded) {
  constexpr int kRecorders = 4;
  constexpr int kCallsEach = 500;
  constexpr int kScrapers = 16;
  std::vector<std::thread> threads;
  for (int i = 0; i < kRecorders; ++i) {
    threads.emplace_back([this] {
      for (int call = 0; call < kCallsEach; ++call) {
        metrics_.CallStarted();
        metrics_.CallFinished(OkApply());
      }
    });
  }
  std::atomic<int> answered{0};
  for (int i = 0; i < kScrapers; ++i) {
    threads.emplace_back([&] {
      for (int scrape = 0; scrape < 5; ++scrape) {
        const HttpReply reply = HttpGet(port_, "/metrics");
        answered +=
            reply.status == 200 && MetricValue(reply.body,
                                               "tensor_transform_in_flight_"
                                               "requests")
                                       .has_value();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(answered, kScrapers * 5);
  EXPECT_EQ(MetricValue(HttpGet(port_, "/metrics").body, kOkAbsCalls),
            kRecorders * kCallsEach);
}

TEST(MetricsEndpoint, RejectsMalformedAddresses) {
  for (const char* listen :
       {"no-port", "127.0.0.1:99999", "127.0.0.1:x", "127.0.0.1:0s",
        // Debian 12's civetweb is built without IPv6.
        "[::1]:0"}) {
    EXPECT_EQ(
        MetricsEndpoint::Start(listen, {}, [] { return true; }).status().code(),
        absl::StatusCode::kInvalidArgument)
        << listen;
  }
}

// A host is resolved before civetweb sees it: civetweb's syntax would read
// the ',' as a second listener.
TEST(MetricsEndpoint, ReportsHostsWithoutAnIpv4Address) {
  for (const char* listen : {"127.0.0.1,127.0.0.2:0", "no such host:0"}) {
    EXPECT_EQ(
        MetricsEndpoint::Start(listen, {}, [] { return true; }).status().code(),
        absl::StatusCode::kUnavailable)
        << listen;
  }
}

class ServerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "127.0.0.1:0";
    auto server = StartServer(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_NE(server_->metrics_port(), 0);
    stub_ = v1::TensorTransform::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                            grpc::InsecureChannelCredentials()));
  }
  std::string Scrape() {
    test_support::HttpReply reply =
        HttpGet(server_->metrics_port(), "/metrics");
    EXPECT_EQ(reply.status, 200);
    return reply.body;
  }
  // A call is recorded when the server releases it, which may be just after
  // its client has the status: scrapes until no call is in flight (5 s at
  // most).
  std::string ScrapeWhenIdle() {
    std::string text = Scrape();
    for (int i = 0; i < 500 && MetricValue(text,
                                           "tensor_transform_in_flight_"
                                           "requests") != 0;
         ++i) {
      absl::SleepFor(absl::Milliseconds(10));
      text = Scrape();
    }
    return text;
  }

  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::TensorTransform::Stub> stub_;
};

TEST_F(ServerMetricsTest, CountsCallsBytesAndStatusesByRpcAndMethod) {
  v1::ApplyRequest request;
  *request.mutable_tensor() =
      test_support::RandomTensor(v1::FLOAT64, {10, 10}, test_support::kSeed);
  request.set_method(v1::ABS);
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    v1::TransformResponse response;
    ASSERT_TRUE(stub_->Apply(&context, request, &response).ok());
  }
  request.mutable_tensor()->add_shape(2);  // data no longer matches
  grpc::ClientContext context;
  v1::TransformResponse response;
  ASSERT_EQ(stub_->Apply(&context, request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string text = ScrapeWhenIdle();
  const std::string calls =
      absl::StrCat("tensor_transform_requests_total{", kApplyLabels);
  EXPECT_EQ(MetricValue(text, absl::StrCat(calls,
                                           ",relu_method=\"abs\","
                                           "grpc_code=\"OK\"}")),
            3);
  EXPECT_EQ(MetricValue(text, absl::StrCat(calls,
                                           ",relu_method=\"\","
                                           "grpc_code=\"INVALID_"
                                           "ARGUMENT\"}")),
            1);
  for (const char* bytes : {"received", "sent"}) {
    EXPECT_EQ(
        MetricValue(text, absl::StrCat("tensor_transform_payload_", bytes,
                                       "_bytes_total{", kApplyLabels, "}")),
        3 * 800)
        << bytes;
  }
  EXPECT_EQ(MetricValue(text, absl::StrCat("tensor_transform_compute_duration_"
                                           "seconds_count{",
                                           kApplyLabels, "}")),
            3);
  EXPECT_EQ(MetricValue(text, "tensor_transform_in_flight_requests"), 0);
  EXPECT_EQ(MetricValue(text, "tensor_transform_in_flight_bytes"), 0);
  // Apply's output buffers wait in the pool, counted apart.
  EXPECT_GE(MetricValue(text, "tensor_transform_idle_buffer_bytes"), 800);
  EXPECT_GT(*MetricValue(text, "process_resident_memory_bytes"), 0);
}

TEST_F(ServerMetricsTest, HealthzTurnsUnavailableWhenDraining) {
  EXPECT_EQ(HttpGet(server_->metrics_port(), "/healthz").status, 200);
  EXPECT_EQ(MetricValue(Scrape(), "tensor_transform_serving"), 1);
  server_->Shutdown();
  EXPECT_EQ(HttpGet(server_->metrics_port(), "/healthz").status, 503);
  EXPECT_EQ(MetricValue(Scrape(), "tensor_transform_serving"), 0);
  EXPECT_EQ(HttpGet(server_->metrics_port(), "/nothing").status, 404);
}

}  // namespace
}  // namespace tensor_transform::server
