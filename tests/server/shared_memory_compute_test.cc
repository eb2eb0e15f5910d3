// Apply, ApplyInPlace and Gradient on tensors in shared memory, every dtype
// and method, inputs and outputs inline, in regions or mixed, and eight
// threads sharing regions: every result bit for bit against the scalar
// reference (core/reference.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tests/server/shm_support.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::kSeed;
using test_support::LeaseHolder;
using test_support::RandomBytes;
using test_support::Ref;
using test_support::ReferenceGradient;
using test_support::ReferenceRelu;
using test_support::RegisterRegion;
using test_support::SameBytes;
using test_support::SharedTensor;
using test_support::ShmObject;

// Three regions of one object; offsets inside them are odd on purpose.
constexpr uint64_t kRegionBytes = 16 << 10;
constexpr uint64_t kX = 3, kUp = 5, kOut = 7;

const std::vector<std::vector<int64_t>> kShapes = {{}, {0}, {7}, {33, 17}};

class SharedMemoryComputeTest : public test_support::SharedMemoryServerTest {
 protected:
  void SetUp() override {
    SharedMemoryServerTest::SetUp();
    object_ = std::make_unique<ShmObject>(dir_, "tensor_transform_t",
                                          3 * kRegionBytes);
    lease_ = std::make_unique<LeaseHolder>(stub());
    for (uint64_t i = 0; i < 3; ++i) {
      ASSERT_TRUE(RegisterRegion(stub(), lease_->token(), kNames[i],
                                 object_->key(), i * kRegionBytes, kRegionBytes)
                      .ok());
    }
  }

  // Bytes at `offset` of region i (0: "x", 1: "up", 2: "out").
  std::string Read(int region, uint64_t offset, size_t size) const {
    return object_->Read(region * kRegionBytes + offset, size);
  }
  void Write(int region, uint64_t offset, const std::string& bytes) const {
    object_->Write(region * kRegionBytes + offset, bytes);
  }

  v1::TransformResponse Call(bool in_place, const v1::ApplyRequest& request) {
    v1::TransformResponse response;
    grpc::ClientContext context;
    const grpc::Status status =
        in_place ? stub().ApplyInPlace(&context, request, &response)
                 : stub().Apply(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  v1::TransformResponse Call(const v1::GradientRequest& request) {
    v1::TransformResponse response;
    grpc::ClientContext context;
    const grpc::Status status = stub().Gradient(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  static constexpr const char* kNames[] = {"x", "up", "out"};
  std::unique_ptr<ShmObject> object_;
  std::unique_ptr<LeaseHolder> lease_;
};

// A response whose result went to shared memory at `ref`: no data.
void ExpectSharedResult(const v1::TransformResponse& response,
                        const v1::SharedMemoryRef& ref) {
  EXPECT_TRUE(response.tensor().data().empty());
  EXPECT_EQ(response.tensor().shared_memory().SerializeAsString(),
            ref.SerializeAsString());
}

TEST_F(SharedMemoryComputeTest, ApplyMatchesReference) {
  for (v1::Method method : test_support::AllMethods()) {
    for (v1::DType dtype : test_support::AllDTypes()) {
      for (const std::vector<int64_t>& shape : kShapes) {
        SCOPED_TRACE(::testing::Message()
                     << v1::Method_Name(method) << " " << v1::DType_Name(dtype)
                     << " rank " << shape.size() << " seed " << kSeed);
        v1::Tensor inline_x = test_support::RandomTensor(dtype, shape, kSeed);
        const std::string& x = inline_x.data();
        const std::string expected = ReferenceRelu(dtype, x);
        const v1::SharedMemoryRef x_ref = Ref("x", kX, x.size());
        const v1::SharedMemoryRef out_ref = Ref("out", kOut, x.size());
        v1::ApplyRequest request;
        request.set_method(method);

        // x in a region, the result inline; x untouched.
        Write(0, kX, x);
        *request.mutable_tensor() = SharedTensor(dtype, shape, x_ref);
        EXPECT_TRUE(SameBytes(Call(false, request).tensor().data(), expected));
        EXPECT_TRUE(SameBytes(Read(0, kX, x.size()), x));
        // x in a region, the result in another.
        *request.mutable_output() = out_ref;
        ExpectSharedResult(Call(false, request), out_ref);
        EXPECT_TRUE(SameBytes(Read(2, kOut, x.size()), expected));
        // x inline, the result in a region.
        Write(2, kOut, std::string(x.size(), '\0'));
        *request.mutable_tensor() = inline_x;
        ExpectSharedResult(Call(true, request), out_ref);
        EXPECT_TRUE(SameBytes(Read(2, kOut, x.size()), expected));
        // In place in the region: no payload either way.
        request.clear_output();
        *request.mutable_tensor() = SharedTensor(dtype, shape, x_ref);
        ExpectSharedResult(Call(true, request), x_ref);
        EXPECT_TRUE(SameBytes(Read(0, kX, x.size()), expected));
      }
    }
  }
}

TEST_F(SharedMemoryComputeTest, GradientMatchesReference) {
  for (v1::DType dtype : test_support::AllDTypes()) {
    for (const std::vector<int64_t>& shape : kShapes) {
      SCOPED_TRACE(::testing::Message() << v1::DType_Name(dtype) << " rank "
                                        << shape.size() << " seed " << kSeed);
      v1::Tensor inline_x = test_support::RandomTensor(dtype, shape, kSeed);
      const std::string& x = inline_x.data();
      const std::string up = RandomBytes(x.size(), kSeed + 1);
      const v1::SharedMemoryRef x_ref = Ref("x", kX, x.size());
      const v1::SharedMemoryRef up_ref = Ref("up", kUp, x.size());
      Write(0, kX, x);
      Write(1, kUp, up);
      v1::GradientRequest request;

      // x in a region, no upstream: inline, and x untouched (Gradient is
      // not an in-place RPC).
      *request.mutable_x() = SharedTensor(dtype, shape, x_ref);
      EXPECT_TRUE(SameBytes(Call(request).tensor().data(),
                            ReferenceGradient(dtype, x, nullptr)));
      EXPECT_TRUE(SameBytes(Read(0, kX, x.size()), x));
      // x inline, upstream in a region, the result inline.
      const std::string expected = ReferenceGradient(dtype, x, &up);
      *request.mutable_x() = inline_x;
      *request.mutable_upstream() = SharedTensor(dtype, shape, up_ref);
      EXPECT_TRUE(SameBytes(Call(request).tensor().data(), expected));
      // Both in regions, the result over the upstream gradient.
      *request.mutable_x() = SharedTensor(dtype, shape, x_ref);
      *request.mutable_output() = up_ref;
      ExpectSharedResult(Call(request), up_ref);
      EXPECT_TRUE(SameBytes(Read(1, kUp, x.size()), expected));
      // Upstream inline, the result in a region.
      *request.mutable_upstream() = inline_x;
      request.mutable_upstream()->set_data(up);
      *request.mutable_output() = Ref("out", kOut, x.size());
      ExpectSharedResult(Call(request), request.output());
      EXPECT_TRUE(SameBytes(Read(2, kOut, x.size()), expected));
    }
  }
}

// Eight threads read one shared tensor and write their own slots of a
// shared output region, over and over; every result is checked.
TEST_F(SharedMemoryComputeTest, EightThreadsShareRegions) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 40;
  constexpr int64_t kElements = 256;  // float32: 1 KiB per slot
  const std::string x = RandomBytes(4 * kElements, kSeed);
  const std::string relu = ReferenceRelu(v1::FLOAT32, x);
  const std::string gradient = ReferenceGradient(v1::FLOAT32, x, nullptr);
  Write(0, 0, x);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const uint64_t slot = static_cast<uint64_t>(t) * x.size();
      for (int i = 0; i < kCalls; ++i) {
        const v1::Tensor tensor =
            SharedTensor(v1::FLOAT32, {kElements}, Ref("x", 0, x.size()));
        v1::TransformResponse response;
        grpc::ClientContext context;
        grpc::Status status;
        if (i % 2 == 0) {
          v1::ApplyRequest request;
          *request.mutable_tensor() = tensor;
          *request.mutable_output() = Ref("out", slot, x.size());
          status = stub().Apply(&context, request, &response);
        } else {
          v1::GradientRequest request;
          *request.mutable_x() = tensor;
          *request.mutable_output() = Ref("out", slot, x.size());
          status = stub().Gradient(&context, request, &response);
        }
        ASSERT_TRUE(status.ok()) << status.error_message();
        EXPECT_TRUE(
            SameBytes(Read(2, slot, x.size()), i % 2 == 0 ? relu : gradient))
            << "thread " << t << " call " << i;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_TRUE(SameBytes(Read(0, 0, x.size()), x));
}

}  // namespace
}  // namespace tensor_transform::server
