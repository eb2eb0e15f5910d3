// The memory budget as deployed: the real binary, far more concurrent large
// requests than its budget holds, and its peak resident set (VmHWM) read
// from /proc. Every call either succeeds with a result equal to the
// reference or is refused unprocessed: RESOURCE_EXHAUSTED from the budget or
// from gRPC's buffer quota, or UNAVAILABLE when gRPC's quota reclaimed a
// connection to free memory (IsReclaimedConnection). The peak
// stays under the budget plus a fixed overhead.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "tests/server/sanitized.h"
#include "tests/server/server_process.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kMaxMessage = 64 * kMiB;
constexpr int64_t kBudget = 4 * kMaxMessage;  // the smallest allowed
// What the budget does not cover: the binary and gRPC at rest (~15 MiB),
// allocator slack, a request being parsed before it can be admitted.
constexpr int64_t kOverhead = 128 * kMiB;

constexpr int kCalls = 24;               // at once, one connection each
constexpr int64_t kElements = 3 * kMiB;  // float64: 24 MiB per request

struct Outcome {
  std::mutex mu;
  std::map<grpc::StatusCode, int> codes;
  int wrong_results = 0;
};

// One Apply, ApplyInPlace or Gradient call of 24 MiB on its own connection.
void Call(const std::string& target, int i, const v1::Tensor& x,
          const std::string& expected_relu,
          const std::string& expected_gradient, Outcome* outcome) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  args.SetInt("tt.connection", i);  // distinct args: distinct connections
  auto stub = v1::TensorTransform::NewStub(grpc::CreateCustomChannel(
      target, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  v1::TransformResponse response;
  grpc::Status status;
  const std::string* expected = &expected_relu;
  if (i % 3 == 2) {
    v1::GradientRequest request;
    *request.mutable_x() = x;
    status = stub->Gradient(&context, request, &response);
    expected = &expected_gradient;
  } else {
    v1::ApplyRequest request;
    *request.mutable_tensor() = x;
    status = i % 3 == 0 ? stub->Apply(&context, request, &response)
                        : stub->ApplyInPlace(&context, request, &response);
  }
  std::lock_guard<std::mutex> lock(outcome->mu);
  ++outcome->codes[status.error_code()];
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      !test_support::IsReclaimedConnection(status)) {
    ADD_FAILURE() << "unavailable, but not for a reclaimed connection: "
                  << status.error_message();
  }
  if (status.ok() && response.tensor().data() != *expected) {
    ++outcome->wrong_results;
  }
}

TEST(AdmissionRss, PeakStaysUnderBudgetPlusOverheadUnderOverload) {
  auto server = test_support::ServerProcess::Start(
      {absl::StrCat("--max_message_bytes=", kMaxMessage),
       absl::StrCat("--memory_budget_bytes=", kBudget)});
  ASSERT_TRUE(server.ok()) << server.status();
  const v1::Tensor x =
      test_support::RandomTensor(v1::FLOAT64, {kElements}, test_support::kSeed);
  const std::string relu = test_support::ReferenceRelu(v1::FLOAT64, x.data());
  const std::string gradient =
      test_support::ReferenceGradient(v1::FLOAT64, x.data(), nullptr);
  Outcome outcome;
  std::vector<std::thread> clients;
  for (int i = 0; i < kCalls; ++i) {
    clients.emplace_back(
        [&, i] { Call((*server)->target(), i, x, relu, gradient, &outcome); });
  }
  for (std::thread& client : clients) client.join();
  const int64_t peak = (*server)->PeakRssBytes();

  std::cout << "offered " << kCalls << " x " << kElements * 8 / kMiB
            << " MiB; budget " << kBudget / kMiB << " MiB; peak RSS "
            << peak / kMiB << " MiB; bound " << (kBudget + kOverhead) / kMiB
            << " MiB; ok " << outcome.codes[grpc::StatusCode::OK]
            << ", resource exhausted "
            << outcome.codes[grpc::StatusCode::RESOURCE_EXHAUSTED]
            << ", unavailable (GOAWAY) "
            << outcome.codes[grpc::StatusCode::UNAVAILABLE] << "\n";
  ::testing::Test::RecordProperty("peak_rss_mib",
                                  static_cast<int>(peak / kMiB));
  EXPECT_EQ(outcome.wrong_results, 0);
  EXPECT_EQ(outcome.codes[grpc::StatusCode::OK] +
                outcome.codes[grpc::StatusCode::RESOURCE_EXHAUSTED] +
                outcome.codes[grpc::StatusCode::UNAVAILABLE],
            kCalls);
  EXPECT_GT(outcome.codes[grpc::StatusCode::OK], 0);
  EXPECT_GT(outcome.codes[grpc::StatusCode::RESOURCE_EXHAUSTED], 0);
  // Under a sanitizer the calls and statuses are still checked; the
  // footprint is the sanitizer's.
  if (!test_support::kSanitized) {
    EXPECT_LT(peak, kBudget + kOverhead);
  }
  // And it still serves once the storm is over.
  std::thread([&] {
    Call((*server)->target(), 0, x, relu, gradient, &outcome);
  }).join();
  EXPECT_EQ(outcome.wrong_results, 0);
}

}  // namespace
}  // namespace tensor_transform::server
