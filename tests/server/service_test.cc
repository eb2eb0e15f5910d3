// The unary RPCs and Describe against a real server, bit for bit against the
// core's scalar reference.
#include "server/rpc/service.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/fastest_method.h"
#include "proto/wire.h"
#include "server/server.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::AllDTypes;
using test_support::AllMethods;
using test_support::kSeed;
using test_support::RandomTensor;
using test_support::SameBytes;

class ServiceTest : public test_support::ServerTest {};

const std::vector<std::vector<int64_t>> kShapes = {{},  {0},       {1},
                                                   {7}, {3, 5, 2}, {33, 17}};

// Every wire method, METHOD_UNSPECIFIED first.
std::vector<v1::Method> MethodsAndUnspecified() {
  std::vector<v1::Method> methods = AllMethods();
  methods.insert(methods.begin(), v1::METHOD_UNSPECIFIED);
  return methods;
}

void ExpectTensorResponse(const v1::TransformResponse& response,
                          const v1::Tensor& request, v1::Method method,
                          const std::string& expected) {
  EXPECT_EQ(response.tensor().dtype(), request.dtype());
  EXPECT_EQ(
      std::vector<int64_t>(response.tensor().shape().begin(),
                           response.tensor().shape().end()),
      std::vector<int64_t>(request.shape().begin(), request.shape().end()));
  EXPECT_TRUE(SameBytes(response.tensor().data(), expected));
  EXPECT_EQ(response.method(), method);
  EXPECT_GE(response.server_compute_ns(), 0);
}

using ApplyRpc = grpc::Status (v1::TensorTransform::Stub::*)(
    grpc::ClientContext*, const v1::ApplyRequest&, v1::TransformResponse*);

void ExpectApplyMatchesReference(v1::TensorTransform::Stub& stub,
                                 ApplyRpc rpc) {
  for (v1::Method method : MethodsAndUnspecified()) {
    for (v1::DType dtype : AllDTypes()) {
      for (const std::vector<int64_t>& shape : kShapes) {
        SCOPED_TRACE(::testing::Message()
                     << v1::Method_Name(method) << " " << v1::DType_Name(dtype)
                     << " rank " << shape.size() << " seed " << kSeed);
        v1::ApplyRequest request;
        *request.mutable_tensor() = RandomTensor(dtype, shape, kSeed);
        request.set_method(method);
        v1::TransformResponse response;
        grpc::ClientContext context;
        const grpc::Status status = (stub.*rpc)(&context, request, &response);
        ASSERT_TRUE(status.ok()) << status.error_message();
        // METHOD_UNSPECIFIED: the method measured fastest for the dtype.
        const v1::Method used =
            method == v1::METHOD_UNSPECIFIED
                ? wire::MethodToProto(core::FastestMethod(
                      *wire::DTypeFromProto(dtype, "dtype")))
                : method;
        ExpectTensorResponse(
            response, request.tensor(), used,
            test_support::ReferenceRelu(dtype, request.tensor().data()));
      }
    }
  }
}

TEST_F(ServiceTest, ApplyMatchesReferenceForEveryMethodAndDtype) {
  ExpectApplyMatchesReference(stub(), &v1::TensorTransform::Stub::Apply);
}

TEST_F(ServiceTest, ApplyInPlaceMatchesReferenceForEveryMethodAndDtype) {
  ExpectApplyMatchesReference(stub(), &v1::TensorTransform::Stub::ApplyInPlace);
}

TEST_F(ServiceTest, GradientMatchesReferenceWithAndWithoutUpstream) {
  for (v1::Method method : {v1::METHOD_UNSPECIFIED, v1::MULTIPLY}) {
    for (v1::DType dtype : AllDTypes()) {
      for (bool with_upstream : {false, true}) {
        SCOPED_TRACE(::testing::Message()
                     << v1::Method_Name(method) << " " << v1::DType_Name(dtype)
                     << " upstream " << with_upstream << " seed " << kSeed);
        v1::GradientRequest request;
        *request.mutable_x() = RandomTensor(dtype, {33, 17}, kSeed);
        if (with_upstream) {
          *request.mutable_upstream() =
              RandomTensor(dtype, {33, 17}, kSeed + 1);
        }
        request.set_method(method);
        v1::TransformResponse response;
        grpc::ClientContext context;
        const grpc::Status status =
            stub().Gradient(&context, request, &response);
        ASSERT_TRUE(status.ok()) << status.error_message();
        const std::string* upstream =
            with_upstream ? &request.upstream().data() : nullptr;
        ExpectTensorResponse(response, request.x(), v1::MULTIPLY,
                             test_support::ReferenceGradient(
                                 dtype, request.x().data(), upstream));
      }
    }
  }
}

TEST_F(ServiceTest, ReportsServerComputeTime) {
  v1::ApplyRequest request;
  *request.mutable_tensor() = RandomTensor(v1::FLOAT32, {1 << 20}, kSeed);
  v1::TransformResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().Apply(&context, request, &response).ok());
  EXPECT_GT(response.server_compute_ns(), 0);
}

TEST_F(ServiceTest, DescribesCapabilities) {
  v1::DescribeResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub().Describe(&context, v1::DescribeRequest(), &response).ok());
  EXPECT_EQ(std::vector<std::string>(response.transforms().begin(),
                                     response.transforms().end()),
            std::vector<std::string>{"relu"});
  EXPECT_EQ(response.dtypes_size(), 8);
  EXPECT_EQ(response.default_method(),
            wire::MethodToProto(core::FastestMethod(core::DType::kFloat64)));
  EXPECT_EQ(response.max_message_bytes(), ServerConfig().max_message_bytes);
  EXPECT_EQ(response.max_rank(), 32);
  EXPECT_EQ(response.max_stream_elements(), int64_t{1} << 40);
  EXPECT_EQ(response.recommended_chunk_bytes(),
            wire::kDefaultRecommendedChunkBytes);
  ASSERT_EQ(response.rpc_methods_size(), 6);
  for (const auto& rpc : response.rpc_methods()) {
    SCOPED_TRACE(rpc.rpc());
    const bool gradient = rpc.rpc().rfind("Gradient", 0) == 0;
    EXPECT_EQ(rpc.methods_size(), gradient ? 1 : 4);
    if (gradient) {
      EXPECT_EQ(rpc.methods(0), v1::MULTIPLY);
    }
  }
}

}  // namespace
}  // namespace tensor_transform::server
