// Shared helpers for the server tests: a real server on a loopback port with
// a stub to it, random tensors, the core reference as byte strings, and a
// client side for the streaming RPCs.
//
//   class MyTest : public ServerTest {};
//   TEST_F(MyTest, Works) {
//     v1::ApplyRequest request;
//     *request.mutable_tensor() = RandomTensor(v1::FLOAT32, {3, 4}, kSeed);
//     v1::TransformResponse response;
//     grpc::ClientContext context;
//     ASSERT_TRUE(stub().Apply(&context, request, &response).ok());
//   }
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_TEST_SUPPORT_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_TEST_SUPPORT_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"

namespace tensor_transform::server::test_support {

namespace v1 = ::tensor_transform::v1;

// Fixed so that failures reproduce; printed by the tests that use it.
inline constexpr uint32_t kSeed = 20240517;

// UNAVAILABLE because gRPC's memory quota reclaimed a connection under
// overload: a GOAWAY to an idle one, a reset of one still receiving, or a
// failed reconnect while those are torn down. Unprocessed, so retryable.
bool IsReclaimedConnection(const grpc::Status& status);

// Every DType and Method the wire knows, UNSPECIFIED excluded.
std::vector<v1::DType> AllDTypes();
std::vector<v1::Method> AllMethods();

// `bytes` uniformly random bytes: for float dtypes every bit pattern occurs,
// NaNs, infinities, -0 and subnormals included.
std::string RandomBytes(size_t bytes, uint32_t seed);
size_t ItemSize(v1::DType dtype);
v1::Tensor RandomTensor(v1::DType dtype, const std::vector<int64_t>& shape,
                        uint32_t seed);

// A Transform as a newer client would send it: oneof case 2, which this
// build does not know; and relu carrying a parameter (field 1) it does not
// know either.
v1::Transform UnknownTransformCase();
v1::Transform ReluWithUnknownParameter();

// The scalar reference of core/reference.h over whole byte strings.
std::string ReferenceRelu(v1::DType dtype, const std::string& x);
std::string ReferenceGradient(v1::DType dtype, const std::string& x,
                              const std::string* upstream);

// Equal byte strings; on failure names the first differing byte instead of
// printing megabytes.
::testing::AssertionResult SameBytes(const std::string& actual,
                                     const std::string& expected);

// A server started with StartServer on 127.0.0.1:0 and a stub to it.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartWithCap(ServerConfig().max_message_bytes); }
  void StartWithCap(int64_t max_message_bytes);
  v1::TensorTransform::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TensorTransform::Stub> stub_;
};

enum class StreamRpc { kApply, kApplyInPlace, kGradient };

struct StreamResult {
  grpc::Status status;
  std::vector<v1::StreamResponse> responses;
  // The responses' data, concatenated.
  std::string Data() const;
};

// Writes `messages` and half-closes while a second thread reads, as a real
// client must: the server answers each chunk at once, and with neither side
// reading, flow control would stall both.
StreamResult RunStream(v1::TensorTransform::Stub& stub, StreamRpc rpc,
                       const std::vector<v1::StreamRequest>& messages);

v1::StreamRequest HeaderMessage(v1::DType dtype,
                                const std::vector<int64_t>& shape,
                                v1::Method method, bool has_upstream = false);

// `header`, then `data` (and `upstream`, when not empty) in pieces of
// `chunk_bytes` (the last may be shorter).
std::vector<v1::StreamRequest> StreamMessages(const v1::StreamRequest& header,
                                              const std::string& data,
                                              const std::string& upstream,
                                              size_t chunk_bytes);

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_TEST_SUPPORT_H_
