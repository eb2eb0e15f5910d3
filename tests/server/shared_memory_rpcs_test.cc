// The SystemSharedMemory* RPCs and requests naming regions against a real
// server: the feature off, Describe, the statuses of misuse, leases ending
// with their calls.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/scrape.h"
#include "tests/server/shm_support.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::LeaseHolder;
using test_support::Ref;
using test_support::RegionNames;
using test_support::RegisterRegion;
using test_support::SharedTensor;
using test_support::ShmObject;

using Names = std::vector<std::string>;

class SharedMemoryRpcsTest : public test_support::SharedMemoryServerTest {
 protected:
  grpc::StatusCode Apply(const v1::ApplyRequest& request) {
    v1::TransformResponse response;
    grpc::ClientContext context;
    return stub().Apply(&context, request, &response).error_code();
  }

  grpc::StatusCode Unregister(const std::string& lease,
                              const std::string& name) {
    v1::SystemSharedMemoryUnregisterRequest request;
    request.set_lease(lease);
    request.set_name(name);
    v1::SystemSharedMemoryUnregisterResponse response;
    grpc::ClientContext context;
    return stub()
        .SystemSharedMemoryUnregister(&context, request, &response)
        .error_code();
  }

  // Polls Status until it lists `expected`: a lease ends on the server
  // once gRPC delivered its cancellation there.
  void AwaitRegions(const Names& expected) {
    Names names;
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(RegionNames(stub(), "", &names).ok());
      if (names == expected) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(names, expected);
  }
};

v1::ApplyRequest SharedApply(const std::string& region, uint64_t offset,
                             int64_t elements) {
  v1::ApplyRequest request;
  *request.mutable_tensor() =
      SharedTensor(v1::FLOAT64, {elements}, Ref(region, offset, 8 * elements));
  return request;
}

TEST_F(SharedMemoryRpcsTest, DescribeAdvertisesSharedMemory) {
  v1::DescribeResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().Describe(&context, {}, &response).ok());
  EXPECT_TRUE(response.shared_memory());
  EXPECT_EQ(response.shared_memory_prefix(), test_support::kPrefix);
}

TEST_F(SharedMemoryRpcsTest, RefusedWhenNotEnabled) {
  Start(/*enabled=*/false);
  v1::DescribeResponse description;
  grpc::ClientContext describe;
  ASSERT_TRUE(stub().Describe(&describe, {}, &description).ok());
  EXPECT_FALSE(description.shared_memory());
  EXPECT_EQ(description.shared_memory_prefix(), "");

  LeaseHolder lease(stub());
  EXPECT_EQ(lease.token(), "");
  EXPECT_EQ(lease.Cancel().error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(RegisterRegion(stub(), "l", "r", "/tensor_transform_a", 0, 8)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Unregister("l", ""), grpc::StatusCode::FAILED_PRECONDITION);
  Names names;
  EXPECT_EQ(RegionNames(stub(), "", &names).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Apply(SharedApply("r", 0, 1)),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::ApplyRequest output;
  *output.mutable_tensor() = test_support::RandomTensor(v1::FLOAT64, {1}, 1);
  *output.mutable_output() = Ref("r", 0, 8);
  EXPECT_EQ(Apply(output), grpc::StatusCode::FAILED_PRECONDITION);
  output.clear_output();
  EXPECT_EQ(Apply(output), grpc::StatusCode::OK);
}

TEST_F(SharedMemoryRpcsTest, RegistrationStatuses) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  LeaseHolder lease(stub());
  LeaseHolder other(stub());
  ASSERT_FALSE(lease.token().empty());
  ASSERT_NE(lease.token(), other.token());
  const auto code = [&](const std::string& lease_token, const std::string& key,
                        uint64_t offset, uint64_t size) {
    return RegisterRegion(stub(), lease_token, "r", key, offset, size)
        .error_code();
  };
  EXPECT_EQ(code("nope", object.key(), 0, 8), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(lease.token(), "/tensor_transform_a/..", 0, 8),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(lease.token(), "/other", 0, 8),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(lease.token(), "/tensor_transform_b", 0, 8),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(lease.token(), object.key(), 0, 0),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(lease.token(), object.key(), 4000, 97),
            grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(code(lease.token(), object.key(), 0, 4096), grpc::StatusCode::OK);
  EXPECT_EQ(code(lease.token(), object.key(), 0, 4096),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Unregister(other.token(), "r"),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Unregister(other.token(), "s"), grpc::StatusCode::NOT_FOUND);
  Names names;
  EXPECT_EQ(RegionNames(stub(), "s", &names).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(RegionNames(stub(), "r", &names).ok());
  EXPECT_EQ(names, Names{"r"});
  EXPECT_EQ(Unregister(lease.token(), "r"), grpc::StatusCode::OK);
  ASSERT_TRUE(RegionNames(stub(), "", &names).ok());
  EXPECT_EQ(names, Names{});
}

TEST_F(SharedMemoryRpcsTest, ReferenceStatuses) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  LeaseHolder lease(stub());
  ASSERT_TRUE(
      RegisterRegion(stub(), lease.token(), "r", object.key(), 0, 1024).ok());
  ASSERT_TRUE(
      RegisterRegion(stub(), lease.token(), "alias", object.key(), 512, 512)
          .ok());
  EXPECT_EQ(Apply(SharedApply("r", 0, 128)), grpc::StatusCode::OK);
  EXPECT_EQ(Apply(SharedApply("s", 0, 1)), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Apply(SharedApply("r", 1, 128)), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(
      Apply(SharedApply("r", std::numeric_limits<uint64_t>::max() - 7, 2)),
      grpc::StatusCode::OUT_OF_RANGE);

  v1::ApplyRequest request = SharedApply("r", 0, 4);
  request.mutable_tensor()->mutable_shared_memory()->set_byte_size(24);
  EXPECT_EQ(Apply(request), grpc::StatusCode::INVALID_ARGUMENT);
  request = SharedApply("r", 0, 4);
  request.mutable_tensor()->set_data(std::string(32, '\0'));
  EXPECT_EQ(Apply(request), grpc::StatusCode::INVALID_ARGUMENT);
  request = SharedApply("r", 0, 4);
  *request.mutable_output() = Ref("r", 32, 24);
  EXPECT_EQ(Apply(request), grpc::StatusCode::INVALID_ARGUMENT);

  // The output: exactly the input's bytes, or apart from them; through
  // another region of the same object too.
  *request.mutable_output() = Ref("r", 0, 32);
  EXPECT_EQ(Apply(request), grpc::StatusCode::OK);
  *request.mutable_output() = Ref("r", 32, 32);
  EXPECT_EQ(Apply(request), grpc::StatusCode::OK);
  *request.mutable_output() = Ref("r", 8, 32);
  EXPECT_EQ(Apply(request), grpc::StatusCode::INVALID_ARGUMENT);
  request = SharedApply("r", 500, 4);
  *request.mutable_output() = Ref("alias", 0, 32);
  EXPECT_EQ(Apply(request), grpc::StatusCode::INVALID_ARGUMENT);
  *request.mutable_output() = Ref("alias", 0, 32);
  *request.mutable_tensor()->mutable_shared_memory() = Ref("r", 512, 32);
  EXPECT_EQ(Apply(request), grpc::StatusCode::OK);
}

TEST_F(SharedMemoryRpcsTest, RegionTruncatedBeforeACallIsFailedPrecondition) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  LeaseHolder lease(stub());
  ASSERT_TRUE(
      RegisterRegion(stub(), lease.token(), "r", object.key(), 0, 4096).ok());
  object.Truncate(0);
  EXPECT_EQ(Apply(SharedApply("r", 0, 512)),
            grpc::StatusCode::FAILED_PRECONDITION);
  object.Truncate(4096);  // regrown: the same mapping is whole again
  EXPECT_EQ(Apply(SharedApply("r", 0, 512)), grpc::StatusCode::OK);
}

// The memory budget bounds what the server holds; tensors in shared memory
// are the client's memory.
TEST_F(SharedMemoryRpcsTest, SharedOperandsAreNotChargedToTheBudget) {
  ServerConfig config;
  config.shared_memory.enabled = true;
  config.max_message_bytes = int64_t{1} << 20;
  config.memory_budget_bytes = int64_t{4} << 20;  // handlers: 3 MiB
  Start(config);
  constexpr int64_t kElements = int64_t{1} << 20;  // 8 MiB of FLOAT64
  ShmObject object(dir_, "tensor_transform_a", 2 * 8 * kElements);
  LeaseHolder lease(stub());
  ASSERT_TRUE(RegisterRegion(stub(), lease.token(), "r", object.key(), 0,
                             2 * 8 * kElements)
                  .ok());
  v1::ApplyRequest request = SharedApply("r", 0, kElements);
  grpc::ClientContext context;
  v1::TransformResponse response;
  const grpc::Status status = stub().ApplyInPlace(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  *request.mutable_output() = Ref("r", 8 * kElements, 8 * kElements);
  EXPECT_EQ(Apply(request), grpc::StatusCode::OK);
  // An inline result needs an 8 MiB buffer of the server's own.
  request.clear_output();
  EXPECT_EQ(Apply(request), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(SharedMemoryRpcsTest, EndedLeaseTakesItsRegionsAlong) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  LeaseHolder kept(stub());
  ASSERT_TRUE(
      RegisterRegion(stub(), kept.token(), "kept", object.key(), 0, 8).ok());
  {
    LeaseHolder ended(stub());
    for (const char* name : {"a", "b"}) {
      ASSERT_TRUE(
          RegisterRegion(stub(), ended.token(), name, object.key(), 0, 8).ok());
    }
    AwaitRegions({"a", "b", "kept"});
    EXPECT_EQ(ended.Cancel().error_code(), grpc::StatusCode::CANCELLED);
  }
  AwaitRegions({"kept"});
  EXPECT_EQ(Apply(SharedApply("a", 0, 1)), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Apply(SharedApply("kept", 0, 1)), grpc::StatusCode::OK);
}

TEST_F(SharedMemoryRpcsTest, MetricsCountRegionsAndBytes) {
  ServerConfig config;
  config.shared_memory.enabled = true;
  config.metrics_listen = "127.0.0.1:0";
  Start(config);
  ShmObject object(dir_, "tensor_transform_a", 4096);
  LeaseHolder lease(stub());
  ASSERT_TRUE(
      RegisterRegion(stub(), lease.token(), "a", object.key(), 0, 1000).ok());
  ASSERT_TRUE(
      RegisterRegion(stub(), lease.token(), "b", object.key(), 96, 4000).ok());
  const std::string text =
      test_support::HttpGet(server().metrics_port(), "/metrics").body;
  EXPECT_EQ(
      test_support::MetricValue(text, "tensor_transform_shared_memory_regions"),
      2);
  EXPECT_EQ(
      test_support::MetricValue(text, "tensor_transform_shared_memory_bytes"),
      5000);
}

TEST_F(SharedMemoryRpcsTest, DrainEndsLeases) {
  LeaseHolder lease(stub());
  ASSERT_FALSE(lease.token().empty());
  server().Shutdown();
  server().Wait();  // the lease does not hold the drain for its whole grace
  EXPECT_EQ(lease.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace tensor_transform::server
