// The Prometheus exposition and the plain-HTTP endpoint that serves it: the
// renderer alone, the listener alone, then a real server's counters after
// calls whose outcome the test knows.
#include "server/telemetry/metrics.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"
#include "server/telemetry/http_endpoint.h"
#include "tests/server/scrape.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::HttpGet;
using test_support::HttpRequest;
using test_support::MetricValue;

constexpr char kApplyLabels[] =
    "grpc_service=\"tensor_transform.v1.TensorTransform\",grpc_method="
    "\"Apply\"";

TEST(Metrics, RendersCountersHistogramsAndGauges) {
  Metrics metrics;
  metrics.CallStarted();
  metrics.CallStarted();
  CallRecord ok{"tensor_transform.v1.TensorTransform",
                "Apply",
                "abs",
                grpc::StatusCode::OK,
                800,
                800,
                0.003,
                0.0002};
  metrics.CallFinished(ok);
  metrics.AdmissionRejected();
  const std::string text = metrics.Render({{"some_gauge", "A gauge.", 2.5}});
  EXPECT_EQ(MetricValue(text, absl::StrCat("tensor_transform_requests_total{",
                                           kApplyLabels,
                                           ",relu_method=\"abs\",grpc_code="
                                           "\"OK\"}")),
            1);
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
  EXPECT_EQ(MetricValue(text, "some_gauge"), 2.5);
  EXPECT_NE(text.find("# TYPE some_gauge gauge\n"), std::string::npos);
}

TEST(ProcessMemory, ReadsThisProcess) {
  const ProcessMemory memory = ReadProcessMemory();
  EXPECT_GT(memory.resident_bytes, 0);
  EXPECT_GE(memory.peak_resident_bytes, memory.resident_bytes);
}

TEST(HttpEndpoint, AnswersGetsAndRefusesTheRest) {
  auto endpoint =
      HttpEndpoint::Start("127.0.0.1:0", [](absl::string_view path) {
        if (path != "/hello") return HttpResponse{404, "text/plain", "no\n"};
        return HttpResponse{200, "text/plain", "hi\n"};
      });
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const int port = (*endpoint)->port();
  EXPECT_EQ(HttpGet(port, "/hello?x=1").body, "hi\n");
  EXPECT_EQ(HttpGet(port, "/other").status, 404);
  EXPECT_EQ(HttpRequest(port, "HEAD /hello HTTP/1.0").status, 200);
  EXPECT_EQ(HttpRequest(port, "HEAD /hello HTTP/1.0").body, "");
  EXPECT_EQ(HttpRequest(port, "POST /hello HTTP/1.0").status, 405);
  EXPECT_EQ(HttpRequest(port, "nonsense").status, 400);
}

TEST(HttpEndpoint, RejectsMalformedAddresses) {
  for (const char* listen : {"no-port", "127.0.0.1:99999", "127.0.0.1:x"}) {
    EXPECT_EQ(HttpEndpoint::Start(listen, nullptr).status().code(),
              absl::StatusCode::kInvalidArgument)
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
