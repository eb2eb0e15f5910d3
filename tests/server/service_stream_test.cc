// The streaming RPCs against a real server, bit for bit against the core's
// scalar reference, and the unary message cap they exist to get around.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::AllDTypes;
using test_support::AllMethods;
using test_support::HeaderMessage;
using test_support::kSeed;
using test_support::RandomBytes;
using test_support::RunStream;
using test_support::SameBytes;
using test_support::StreamMessages;
using test_support::StreamResult;
using test_support::StreamRpc;

constexpr int64_t kElements = 1000;
constexpr size_t kChunkElements = 37;  // 1000 = 27 * 37 + 1: a short tail

class StreamTest : public test_support::ServerTest {};

void ExpectChunks(const StreamResult& result, size_t chunks, v1::Method method,
                  const std::string& expected) {
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.responses.size(), chunks);
  for (const v1::StreamResponse& response : result.responses) {
    EXPECT_EQ(response.method(), method);
    EXPECT_GE(response.server_compute_ns(), 0);
  }
  EXPECT_TRUE(SameBytes(result.Data(), expected));
}

TEST_F(StreamTest, ApplyStreamsMatchReferenceForEveryMethodAndDtype) {
  for (StreamRpc rpc : {StreamRpc::kApply, StreamRpc::kApplyInPlace}) {
    for (v1::Method method : AllMethods()) {
      for (v1::DType dtype : AllDTypes()) {
        SCOPED_TRACE(::testing::Message()
                     << "rpc " << static_cast<int>(rpc) << " "
                     << v1::Method_Name(method) << " " << v1::DType_Name(dtype)
                     << " seed " << kSeed);
        const size_t itemsize = test_support::ItemSize(dtype);
        const std::string x = RandomBytes(kElements * itemsize, kSeed);
        const StreamResult result =
            RunStream(stub(), rpc,
                      StreamMessages(HeaderMessage(dtype, {kElements}, method),
                                     x, "", kChunkElements * itemsize));
        ExpectChunks(result, 28, method, test_support::ReferenceRelu(dtype, x));
      }
    }
  }
}

TEST_F(StreamTest, GradientStreamMatchesReferenceWithAndWithoutUpstream) {
  for (v1::DType dtype : AllDTypes()) {
    for (bool with_upstream : {false, true}) {
      SCOPED_TRACE(::testing::Message() << v1::DType_Name(dtype) << " upstream "
                                        << with_upstream << " seed " << kSeed);
      const size_t itemsize = test_support::ItemSize(dtype);
      const std::string x = RandomBytes(kElements * itemsize, kSeed);
      const std::string g =
          with_upstream ? RandomBytes(x.size(), kSeed + 1) : std::string();
      const StreamResult result = RunStream(
          stub(), StreamRpc::kGradient,
          StreamMessages(HeaderMessage(dtype, {10, 100}, v1::METHOD_UNSPECIFIED,
                                       with_upstream),
                         x, g, kChunkElements * itemsize));
      ExpectChunks(result, 28, v1::MULTIPLY,
                   test_support::ReferenceGradient(
                       dtype, x, with_upstream ? &g : nullptr));
    }
  }
}

TEST_F(StreamTest, AcceptsZeroElementStream) {
  for (StreamRpc rpc :
       {StreamRpc::kApply, StreamRpc::kApplyInPlace, StreamRpc::kGradient}) {
    const StreamResult result = RunStream(
        stub(), rpc, {HeaderMessage(v1::FLOAT64, {4, 0}, v1::MULTIPLY)});
    ExpectChunks(result, 0, v1::MULTIPLY, "");
  }
}

// A server whose unary cap is far below the arrays sent to it.
class SmallCapTest : public test_support::ServerTest {
 protected:
  static constexpr int64_t kCap = 64 << 10;
  void SetUp() override { StartWithCap(kCap); }
};

TEST_F(SmallCapTest, StreamsArrayLargerThanMessageCap) {
  const std::string x = RandomBytes(1 << 20, kSeed);  // 1 MiB of FLOAT32
  for (StreamRpc rpc : {StreamRpc::kApply, StreamRpc::kApplyInPlace}) {
    const StreamResult result = RunStream(
        stub(), rpc,
        StreamMessages(HeaderMessage(v1::FLOAT32, {1 << 18}, v1::MASKED), x, "",
                       16 << 10));
    ExpectChunks(result, 64, v1::MASKED,
                 test_support::ReferenceRelu(v1::FLOAT32, x));
  }
}

TEST_F(SmallCapTest, RejectsUnaryRequestOverMessageCap) {
  v1::ApplyRequest request;
  *request.mutable_tensor() =
      test_support::RandomTensor(v1::INT8, {2 * kCap}, kSeed);
  v1::TransformResponse response;
  grpc::ClientContext context;
  EXPECT_EQ(stub().Apply(&context, request, &response).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// The response is a few bytes larger than a request at the cap; the server
// must still be able to send it.
TEST_F(SmallCapTest, AnswersUnaryRequestExactlyAtMessageCap) {
  v1::ApplyRequest request;
  int64_t elements = kCap;
  do {
    *request.mutable_tensor() =
        test_support::RandomTensor(v1::INT8, {elements--}, kSeed);
  } while (static_cast<int64_t>(request.ByteSizeLong()) > kCap);
  ASSERT_EQ(static_cast<int64_t>(request.ByteSizeLong()), kCap);
  v1::TransformResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub().ApplyInPlace(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GT(static_cast<int64_t>(response.ByteSizeLong()), kCap);
  EXPECT_TRUE(SameBytes(
      response.tensor().data(),
      test_support::ReferenceRelu(v1::INT8, request.tensor().data())));
}

}  // namespace
}  // namespace tensor_transform::server
