// Admission control and prompt cancellation: the memory budget alone, the
// block-by-block kernel loop alone, then a real server refusing a request
// that does not fit next to one it is still holding.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/admission/memory_budget.h"
#include "server/server.h"
#include "tests/server/scrape.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::MetricValue;

TEST(MemoryBudget, ReservesUpToItsLimitAndNoFurther) {
  MemoryBudget budget(100);
  EXPECT_TRUE(budget.TryReserve(60));
  EXPECT_FALSE(budget.TryReserve(41));
  EXPECT_TRUE(budget.TryReserve(40));
  EXPECT_FALSE(budget.TryReserve(1));
  EXPECT_FALSE(budget.TryReserve(INT64_MAX));  // no overflow
  budget.Release(60);
  EXPECT_EQ(budget.in_use(), 40);
  EXPECT_EQ(budget.peak(), 100);
  EXPECT_TRUE(budget.TryReserve(0));
}

TEST(MemoryBudget, NeverExceedsItsLimitUnderContention) {
  MemoryBudget budget(1000);
  std::atomic<bool> exceeded{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        const int64_t bytes = 1 + (i * 7 + t * 13) % 300;
        if (!budget.TryReserve(bytes)) continue;
        if (budget.in_use() > budget.limit()) exceeded = true;
        budget.Release(bytes);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_FALSE(exceeded);
  EXPECT_EQ(budget.in_use(), 0);
  EXPECT_LE(budget.peak(), 1000);
}

// A server whose handlers may hold 3 MiB of payload (a 4 MiB budget, less
// the quarter for gRPC's buffers), and a client whose streams read their
// responses only when told: a response that is not read cannot be sent, so the
// payload it came from stays held.
class AdmissionTest : public ::testing::Test {
 protected:
  static constexpr int64_t kCap = int64_t{1} << 20;

  void SetUp() override {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.metrics_listen = "127.0.0.1:0";
    config.max_message_bytes = kCap;
    config.memory_budget_bytes = 4 * kCap;
    auto server = StartServer(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    grpc::ChannelArguments args;
    // A 64 KiB window and no growth: an unread 900 KB response blocks.
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 << 10);
    stub_ = v1::TensorTransform::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                  grpc::InsecureChannelCredentials(), args));
  }

  double Scrape(const std::string& series) {
    return MetricValue(
               test_support::HttpGet(server_->metrics_port(), "/metrics").body,
               series)
        .value_or(-1);
  }

  // Apply holds its request and its output: 2 x bytes.
  grpc::Status Apply(size_t bytes) {
    v1::ApplyRequest request;
    *request.mutable_tensor() = test_support::RandomTensor(
        v1::INT8, {static_cast<int64_t>(bytes)}, test_support::kSeed);
    grpc::ClientContext context;
    v1::TransformResponse response;
    grpc::Status status = stub_->Apply(&context, request, &response);
    if (status.ok()) {
      EXPECT_TRUE(test_support::SameBytes(
          response.tensor().data(),
          test_support::ReferenceRelu(v1::INT8, request.tensor().data())));
    }
    return status;
  }

  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::TensorTransform::Stub> stub_;
};

TEST_F(AdmissionTest, RefusesWhatDoesNotFitBesideAHeldRequestAtOnce) {
  // A stream sends one 900 KB chunk and does not read: the server holds
  // 2 x 900 KB for it (the chunk and its output buffer).
  grpc::ClientContext context;
  auto stream = stub_->ApplyStream(&context);
  const std::string chunk = test_support::RandomBytes(900'000, 7);
  ASSERT_TRUE(stream->Write(
      test_support::HeaderMessage(v1::INT8, {900'000}, v1::MAXIMUM)));
  v1::StreamRequest message;
  message.set_data(chunk);
  ASSERT_TRUE(stream->Write(message));
  for (int i = 0;
       i < 500 && Scrape("tensor_transform_in_flight_bytes") < 2 * 900'000;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(Scrape("tensor_transform_in_flight_bytes"), 2 * 900'000);

  // 2 x 750 KB more would exceed 3 MiB: refused, and nothing held for it.
  const grpc::Status refused = Apply(750'000);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(refused.error_message().find("memory budget"), std::string::npos)
      << refused.error_message();
  EXPECT_EQ(Scrape("tensor_transform_admission_rejected_total"), 1);
  EXPECT_TRUE(Apply(600'000).ok());  // 2 x 600 KB still fits

  // Once the stream's response is read and sent, its bytes are free again.
  v1::StreamResponse response;
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_TRUE(test_support::SameBytes(
      response.data(), test_support::ReferenceRelu(v1::INT8, chunk)));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(Apply(750'000).ok());
  EXPECT_EQ(Scrape("tensor_transform_in_flight_bytes"), 0);
}

TEST_F(AdmissionTest, FreesWhatCancelledAndExpiredCallsHeld) {
  {
    grpc::ClientContext context;
    auto stream = stub_->ApplyInPlaceStream(&context);
    ASSERT_TRUE(stream->Write(
        test_support::HeaderMessage(v1::INT8, {1'800'000}, v1::MAXIMUM)));
    v1::StreamRequest message;
    message.set_data(test_support::RandomBytes(900'000, 7));
    ASSERT_TRUE(stream->Write(message));
    for (int i = 0; i < 500 && Scrape("tensor_transform_in_flight_bytes") == 0;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    context.TryCancel();
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  v1::ApplyRequest request;
  *request.mutable_tensor() =
      test_support::RandomTensor(v1::INT8, {900'000}, test_support::kSeed);
  grpc::ClientContext expired;
  expired.set_deadline(std::chrono::system_clock::now());
  v1::TransformResponse response;
  EXPECT_EQ(stub_->Apply(&expired, request, &response).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  for (int i = 0; i < 500 && Scrape("tensor_transform_in_flight_requests") != 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Scrape("tensor_transform_in_flight_requests"), 0);
  EXPECT_EQ(Scrape("tensor_transform_in_flight_bytes"), 0);
  EXPECT_TRUE(Apply(900'000).ok());
}

}  // namespace
}  // namespace tensor_transform::server
