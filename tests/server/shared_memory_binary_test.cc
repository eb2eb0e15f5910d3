// The server binary with --allow_shared_memory: its flags, and clients
// truncating their regions while calls compute in them (SIGBUS): the
// server survives, answers OK or FAILED_PRECONDITION, and serves on.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/server/sanitized.h"
#include "tests/server/server_process.h"
#include "tests/server/shm_support.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::LeaseHolder;
using test_support::Ref;
using test_support::RegisterRegion;
using test_support::ServerProcess;
using test_support::SharedTensor;
using test_support::ShmDir;
using test_support::ShmObject;

std::unique_ptr<v1::TensorTransform::Stub> StubTo(const ServerProcess& server) {
  return v1::TensorTransform::NewStub(
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()));
}

grpc::Status ApplyInPlace(v1::TensorTransform::Stub& stub,
                          const v1::ApplyRequest& request) {
  v1::TransformResponse response;
  grpc::ClientContext context;
  return stub.ApplyInPlace(&context, request, &response);
}

TEST(SharedMemoryBinary, RefusesBadFlagsNamingThem) {
  for (const std::string& flag :
       {std::string("--shared_memory_uids=root"),
        std::string("--shared_memory_dir=/nonexistent/shm"),
        std::string("--shared_memory_prefix=../x"),
        std::string("--shared_memory_max_regions=0")}) {
    auto server = ServerProcess::Start({"--allow_shared_memory", flag});
    EXPECT_EQ(server.status().code(), absl::StatusCode::kUnavailable) << flag;
    const std::string name = flag.substr(2, flag.find('=') - 2);
    EXPECT_NE(server.status().message().find(name), std::string::npos)
        << server.status();
  }
}

// Whether the truncation lands before the call (the size check), during
// its kernel (the SIGBUS guard) or after it depends on timing; every
// outcome must be OK or FAILED_PRECONDITION, and the server must live.
// Under TSan the truncation always comes first (kThreadSanitized says why);
// the Release and ASan suites race it against the kernel.
TEST(SharedMemoryBinary, SurvivesRegionsTruncatedDuringCalls) {
  ShmDir dir;
  auto server = ServerProcess::Start(
      {"--allow_shared_memory", "--shared_memory_dir=" + dir.path()});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = StubTo(**server);
  constexpr int64_t kBytes = int64_t{128} << 20;
  int failed = 0;
  int sigbus = 0;  // of those, caught by the SIGBUS guard
  for (int round = 0; round < 6; ++round) {
    const std::string name = absl::StrCat("big", round);
    ShmObject object(dir, "tensor_transform_" + name, kBytes);
    LeaseHolder lease(*stub);
    const grpc::Status registered =
        RegisterRegion(*stub, lease.token(), name, object.key(), 0, kBytes);
    ASSERT_TRUE(registered.ok()) << registered.error_message();
    v1::ApplyRequest request;
    *request.mutable_tensor() =
        SharedTensor(v1::FLOAT64, {kBytes / 8}, Ref(name, 0, kBytes));
    std::atomic<bool> calling{false};
    if (test_support::kThreadSanitized) object.Truncate(0);
    std::thread truncator([&] {
      if (test_support::kThreadSanitized) return;
      while (!calling) std::this_thread::yield();
      std::this_thread::sleep_for(std::chrono::microseconds(500 * round));
      object.Truncate(0);
    });
    calling = true;
    grpc::Status status = ApplyInPlace(*stub, request);
    truncator.join();
    EXPECT_TRUE(status.ok() ||
                status.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
        << status.error_code() << ": " << status.error_message();
    failed += !status.ok();
    sigbus += status.error_message().find("during a call") != std::string::npos;
    // Dead now whichever way: the object no longer holds the region.
    EXPECT_EQ(ApplyInPlace(*stub, request).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  std::cout << failed << " of 6 calls answered FAILED_PRECONDITION, " << sigbus
            << " of them after a SIGBUS\n";

  v1::ApplyRequest inline_request;
  *inline_request.mutable_tensor() =
      test_support::RandomTensor(v1::FLOAT64, {1000}, test_support::kSeed);
  v1::TransformResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->Apply(&context, inline_request, &response).ok());
  EXPECT_TRUE(test_support::SameBytes(
      response.tensor().data(),
      test_support::ReferenceRelu(v1::FLOAT64,
                                  inline_request.tensor().data())));
  (*server)->Signal(SIGTERM);
  EXPECT_EQ((*server)->WaitExit(), 0) << (*server)->Log();
}

}  // namespace
}  // namespace tensor_transform::server
