// Every class of bad input, through a real server: the exact status code,
// a message naming the field, and a server that still answers correctly
// afterwards (checked in TearDown).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/server/raw_call.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using grpc::StatusCode;
using test_support::HeaderMessage;
using test_support::kSeed;
using test_support::RandomTensor;
using test_support::StreamRpc;

void ExpectStatus(const grpc::Status& status, StatusCode code,
                  const std::string& part) {
  EXPECT_EQ(status.error_code(), code) << status.error_message();
  EXPECT_NE(status.error_message().find(part), std::string::npos)
      << status.error_message();
}

v1::StreamRequest Chunk(const std::string& data,
                        const std::string& upstream = "") {
  v1::StreamRequest chunk;
  chunk.set_data(data);
  chunk.set_upstream(upstream);
  return chunk;
}

class RejectsTest : public test_support::ServerTest {
 protected:
  void TearDown() override { ExpectServerStillCorrect(); }

  // Apply and ApplyInPlace both refuse `request`.
  void ExpectApplyRejected(const v1::ApplyRequest& request, StatusCode code,
                           const std::string& part) {
    for (auto rpc : {&v1::TensorTransform::Stub::Apply,
                     &v1::TensorTransform::Stub::ApplyInPlace}) {
      v1::TransformResponse response;
      grpc::ClientContext context;
      ExpectStatus((stub().*rpc)(&context, request, &response), code, part);
    }
  }

  void ExpectGradientRejected(const v1::GradientRequest& request,
                              StatusCode code, const std::string& part) {
    v1::TransformResponse response;
    grpc::ClientContext context;
    ExpectStatus(stub().Gradient(&context, request, &response), code, part);
  }

  // Every RPC of `rpcs` refuses the stream `messages`.
  void ExpectStreamRejected(std::vector<StreamRpc> rpcs,
                            const std::vector<v1::StreamRequest>& messages,
                            StatusCode code, const std::string& part) {
    for (StreamRpc rpc : rpcs) {
      SCOPED_TRACE(static_cast<int>(rpc));
      ExpectStatus(RunStream(stub(), rpc, messages).status, code, part);
    }
  }

  void ExpectServerStillCorrect() {
    v1::ApplyRequest request;
    *request.mutable_tensor() = RandomTensor(v1::FLOAT32, {257}, kSeed);
    request.set_method(v1::MASKED);
    v1::TransformResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub().Apply(&context, request, &response).ok());
    EXPECT_TRUE(test_support::SameBytes(
        response.tensor().data(),
        test_support::ReferenceRelu(v1::FLOAT32, request.tensor().data())));
  }
};

const std::vector<StreamRpc> kApplyStreams = {StreamRpc::kApply,
                                              StreamRpc::kApplyInPlace};
const std::vector<StreamRpc> kAllStreams = {
    StreamRpc::kApply, StreamRpc::kApplyInPlace, StreamRpc::kGradient};

v1::ApplyRequest ValidApply() {
  v1::ApplyRequest request;
  *request.mutable_tensor() = RandomTensor(v1::FLOAT64, {10, 20}, kSeed);
  return request;
}

v1::GradientRequest ValidGradient() {
  v1::GradientRequest request;
  *request.mutable_x() = RandomTensor(v1::FLOAT32, {3, 4}, kSeed);
  *request.mutable_upstream() = RandomTensor(v1::FLOAT32, {3, 4}, kSeed + 1);
  return request;
}

TEST_F(RejectsTest, RejectsLengthMismatch) {
  v1::ApplyRequest request = ValidApply();
  request.mutable_tensor()->mutable_data()->resize(1000);
  ExpectApplyRejected(request, StatusCode::INVALID_ARGUMENT,
                      "tensor.data: 1000 bytes, but shape [10, 20] of FLOAT64 "
                      "needs 1600");
}

TEST_F(RejectsTest, RejectsNegativeDim) {
  v1::ApplyRequest request = ValidApply();
  request.mutable_tensor()->set_shape(1, -3);
  ExpectApplyRejected(request, StatusCode::INVALID_ARGUMENT, "tensor.shape[1]");
}

TEST_F(RejectsTest, RejectsShapeOverflow) {
  v1::ApplyRequest request = ValidApply();
  request.mutable_tensor()->set_shape(0, int64_t{1} << 40);
  request.mutable_tensor()->set_shape(1, int64_t{1} << 40);
  ExpectApplyRejected(request, StatusCode::INVALID_ARGUMENT, "tensor.shape");
}

TEST_F(RejectsTest, RejectsRankAboveMax) {
  v1::ApplyRequest request = ValidApply();
  for (int i = 0; i < 31; ++i) request.mutable_tensor()->add_shape(1);
  ExpectApplyRejected(request, StatusCode::INVALID_ARGUMENT, "rank 33");
}

TEST_F(RejectsTest, RejectsUnspecifiedDtype) {
  v1::ApplyRequest request = ValidApply();
  request.mutable_tensor()->set_dtype(v1::DTYPE_UNSPECIFIED);
  ExpectApplyRejected(request, StatusCode::INVALID_ARGUMENT, "tensor.dtype");
}

TEST_F(RejectsTest, RejectsMissingTensor) {
  ExpectApplyRejected(v1::ApplyRequest(), StatusCode::INVALID_ARGUMENT,
                      "tensor.dtype");
}

TEST_F(RejectsTest, RejectsUnknownMethod) {
  v1::ApplyRequest request = ValidApply();
  request.set_method(static_cast<v1::Method>(42));
  ExpectApplyRejected(request, StatusCode::INVALID_ARGUMENT, "method: 42");
}

TEST_F(RejectsTest, RejectsBytesThatAreNotProtobuf) {
  // An ApplyRequest whose tensor field announces 64 bytes and ends after 2:
  // the unary handlers split requests themselves (proto/tensor_slices.h).
  for (const char* rpc : {"Apply", "ApplyInPlace", "Gradient"}) {
    std::string response;
    const grpc::Status status = test_support::RawUnary(
        channel(), absl::StrCat("/tensor_transform.v1.TensorTransform/", rpc),
        std::string("\x0a\x40\x10\x02", 4), &response);
    EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT) << rpc;
    EXPECT_NE(status.error_message().find("not valid protobuf"),
              std::string::npos)
        << status.error_message();
  }
}

TEST_F(RejectsTest, RejectsUnknownTransform) {
  v1::ApplyRequest request = ValidApply();
  *request.mutable_transform() = test_support::UnknownTransformCase();
  ExpectApplyRejected(request, StatusCode::INVALID_ARGUMENT, "transform");
}

TEST_F(RejectsTest, RejectsGradientMethodAbs) {
  v1::GradientRequest request = ValidGradient();
  for (v1::Method method : {v1::ABS, v1::MAXIMUM, v1::MASKED}) {
    request.set_method(method);
    ExpectGradientRejected(request, StatusCode::INVALID_ARGUMENT,
                           "supports only MULTIPLY");
  }
}

TEST_F(RejectsTest, RejectsUpstreamShapeMismatch) {
  v1::GradientRequest request = ValidGradient();
  request.mutable_upstream()->set_shape(0, 4);
  request.mutable_upstream()->set_shape(1, 3);
  ExpectGradientRejected(request, StatusCode::INVALID_ARGUMENT,
                         "upstream.shape");
}

TEST_F(RejectsTest, RejectsUpstreamDtypeMismatch) {
  v1::GradientRequest request = ValidGradient();
  request.mutable_upstream()->set_dtype(v1::INT32);
  ExpectGradientRejected(request, StatusCode::INVALID_ARGUMENT,
                         "upstream.dtype");
}

TEST_F(RejectsTest, RejectsUpstreamLengthMismatch) {
  v1::GradientRequest request = ValidGradient();
  request.mutable_upstream()->mutable_data()->resize(20);
  ExpectGradientRejected(request, StatusCode::INVALID_ARGUMENT,
                         "upstream.data");
}

TEST_F(RejectsTest, RejectsStreamWithoutHeader) {
  ExpectStreamRejected(kAllStreams, {Chunk("abcd")},
                       StatusCode::INVALID_ARGUMENT, "header");
}

TEST_F(RejectsTest, RejectsEmptyStream) {
  ExpectStreamRejected(kAllStreams, {}, StatusCode::INVALID_ARGUMENT, "header");
}

TEST_F(RejectsTest, RejectsSecondHeader) {
  const v1::StreamRequest header = HeaderMessage(v1::INT16, {4}, v1::MULTIPLY);
  ExpectStreamRejected(kAllStreams, {header, header},
                       StatusCode::INVALID_ARGUMENT, "second header");
}

TEST_F(RejectsTest, RejectsChunkOfPartialElements) {
  ExpectStreamRejected(
      kAllStreams,
      {HeaderMessage(v1::INT32, {4}, v1::MULTIPLY), Chunk("abcd"), Chunk("ab")},
      StatusCode::INVALID_ARGUMENT, "chunk 1: data is 2 bytes");
}

TEST_F(RejectsTest, RejectsStreamPastAnnouncedSize) {
  ExpectStreamRejected(kAllStreams,
                       {HeaderMessage(v1::INT16, {3}, v1::MULTIPLY),
                        Chunk("abcd"), Chunk("abcd")},
                       StatusCode::OUT_OF_RANGE, "past the 6 bytes");
}

TEST_F(RejectsTest, RejectsShortStream) {
  ExpectStreamRejected(
      kAllStreams, {HeaderMessage(v1::INT16, {3}, v1::MULTIPLY), Chunk("ab")},
      StatusCode::INVALID_ARGUMENT, "stream ended after 2 of 6 bytes");
}

TEST_F(RejectsTest, RejectsStreamAboveMaxElements) {
  ExpectStreamRejected(
      kAllStreams, {HeaderMessage(v1::INT8, {int64_t{1} << 41}, v1::MULTIPLY)},
      StatusCode::RESOURCE_EXHAUSTED, "header.shape");
}

TEST_F(RejectsTest, RejectsInvalidStreamHeader) {
  ExpectStreamRejected(
      kAllStreams, {HeaderMessage(v1::DTYPE_UNSPECIFIED, {4}, v1::MULTIPLY)},
      StatusCode::INVALID_ARGUMENT, "header.dtype");
}

TEST_F(RejectsTest, RejectsUpstreamOnApplyStream) {
  ExpectStreamRejected(kApplyStreams,
                       {HeaderMessage(v1::INT8, {4}, v1::ABS, true)},
                       StatusCode::INVALID_ARGUMENT, "header.has_upstream");
  ExpectStreamRejected(
      kApplyStreams,
      {HeaderMessage(v1::INT8, {4}, v1::ABS), Chunk("abcd", "abcd")},
      StatusCode::INVALID_ARGUMENT, "upstream");
}

TEST_F(RejectsTest, RejectsGradientStreamMethodAbs) {
  ExpectStreamRejected({StreamRpc::kGradient},
                       {HeaderMessage(v1::INT8, {4}, v1::ABS)},
                       StatusCode::INVALID_ARGUMENT, "supports only MULTIPLY");
}

TEST_F(RejectsTest, RejectsGradientStreamUpstreamMismatch) {
  ExpectStreamRejected(
      {StreamRpc::kGradient},
      {HeaderMessage(v1::INT8, {4}, v1::MULTIPLY, true), Chunk("abcd", "ab")},
      StatusCode::INVALID_ARGUMENT, "upstream is 2 bytes and data 4 bytes");
}

}  // namespace
}  // namespace tensor_transform::server
