#include "server/rpc/validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/fastest_method.h"
#include "proto/wire.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::kSeed;
using test_support::RandomTensor;

void SetShape(v1::Tensor& tensor, const std::vector<int64_t>& shape) {
  tensor.clear_shape();
  tensor.mutable_shape()->Add(shape.begin(), shape.end());
}

// The unary validators given the sizes of the data the requests carry (the
// server passes the sizes of the data it left in the received slices).
absl::StatusOr<ApplySpec> ValidateApply(const v1::ApplyRequest& request) {
  return ValidateApplyRequest(request, request.tensor().data().size());
}
absl::StatusOr<GradientSpec> ValidateGradient(
    const v1::GradientRequest& request) {
  return ValidateGradientRequest(request, request.x().data().size(),
                                 request.upstream().data().size());
}

template <typename Request>
struct Case {
  std::string name;
  std::function<void(Request&)> mutate;
  absl::StatusCode code;
  std::string message_part;  // for failures: the message must contain it
};

// Applies each case to a fresh copy of `valid` and checks the outcome.
template <typename Request, typename Validate>
void RunCases(const Request& valid, const std::vector<Case<Request>>& cases,
              Validate validate) {
  for (const Case<Request>& c : cases) {
    SCOPED_TRACE(c.name);
    Request request = valid;
    c.mutate(request);
    const absl::Status status = validate(request).status();
    EXPECT_EQ(status.code(), c.code) << status;
    EXPECT_NE(status.message().find(c.message_part), absl::string_view::npos)
        << status;
  }
}

constexpr int64_t k2To31 = int64_t{1} << 31;
constexpr int64_t k2To32 = int64_t{1} << 32;
constexpr int64_t k2To62 = int64_t{1} << 62;
constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(ValidateApplyRequest, AppliesEveryRule) {
  v1::ApplyRequest valid;
  *valid.mutable_tensor() = RandomTensor(v1::FLOAT64, {10, 20}, kSeed);
  using R = v1::ApplyRequest;
  const std::vector<Case<R>> cases = {
      {"valid", [](R&) {}, kOk, ""},
      {"scalar",
       [](R& r) {
         r.mutable_tensor()->clear_shape();
         r.mutable_tensor()->mutable_data()->resize(8);
       },
       kOk, ""},
      {"zero dim beside huge dims",
       [](R& r) {
         SetShape(*r.mutable_tensor(), {k2To62, 0, k2To62});
         r.mutable_tensor()->clear_data();
       },
       kOk, ""},
      {"explicit relu", [](R& r) { r.mutable_transform()->mutable_relu(); },
       kOk, ""},
      {"length mismatch",
       [](R& r) { r.mutable_tensor()->mutable_data()->resize(1000); }, kInvalid,
       "tensor.data: 1000 bytes, but shape [10, 20] of FLOAT64 needs 1600"},
      {"negative dim", [](R& r) { r.mutable_tensor()->set_shape(1, -3); },
       kInvalid, "tensor.shape[1]: -3, but dimensions must be >= 0"},
      {"rank above max",
       [](R& r) { SetShape(*r.mutable_tensor(), std::vector<int64_t>(33, 1)); },
       kInvalid, "tensor.shape: rank 33, but the rank must be <= 32"},
      {"element count overflows int64",
       [](R& r) {
         SetShape(*r.mutable_tensor(), {k2To32, k2To32});
       },
       kInvalid,
       "tensor.shape: [4294967296, 4294967296] has more than 2^63-1 elements"},
      {"byte count overflows int64",
       [](R& r) {
         SetShape(*r.mutable_tensor(), {k2To31, k2To31});
       },
       kInvalid, "of FLOAT64 needs more than 2^63-1 bytes"},
      {"unspecified dtype",
       [](R& r) { r.mutable_tensor()->set_dtype(v1::DTYPE_UNSPECIFIED); },
       kInvalid, "tensor.dtype: DTYPE_UNSPECIFIED"},
      {"unknown dtype",
       [](R& r) { r.mutable_tensor()->set_dtype(static_cast<v1::DType>(99)); },
       kInvalid, "tensor.dtype: 99"},
      {"unknown method",
       [](R& r) { r.set_method(static_cast<v1::Method>(99)); }, kInvalid,
       "method: 99"},
      {"unknown transform case",
       [](R& r) {
         *r.mutable_transform() = test_support::UnknownTransformCase();
       },
       kInvalid, "transform: field number 2"},
      {"relu with an unknown parameter",
       [](R& r) {
         *r.mutable_transform() = test_support::ReluWithUnknownParameter();
       },
       kInvalid, "transform.relu: field number 1"},
  };
  RunCases(valid, cases, ValidateApply);
}

TEST(ValidateApplyRequest, ResolvesMethodAndSizes) {
  v1::ApplyRequest request;
  *request.mutable_tensor() = RandomTensor(v1::INT16, {3, 5}, kSeed);
  absl::StatusOr<ApplySpec> spec = ValidateApply(request);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->method, core::FastestMethod(core::DType::kInt16));
  EXPECT_EQ(spec->tensor.dtype, core::DType::kInt16);
  EXPECT_EQ(spec->tensor.elements, 15);
  EXPECT_EQ(spec->tensor.bytes, 30);
  for (core::Method method : core::kAllMethods) {
    request.set_method(wire::MethodToProto(method));
    spec = ValidateApply(request);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->method, method);
  }
}

TEST(ValidateGradientRequest, AppliesEveryRule) {
  v1::GradientRequest valid;
  *valid.mutable_x() = RandomTensor(v1::FLOAT32, {3, 4}, kSeed);
  using R = v1::GradientRequest;
  const auto with_upstream = [](R& r) { *r.mutable_upstream() = r.x(); };
  const std::vector<Case<R>> cases = {
      {"valid without upstream", [](R&) {}, kOk, ""},
      {"valid with upstream", with_upstream, kOk, ""},
      {"multiply", [](R& r) { r.set_method(v1::MULTIPLY); }, kOk, ""},
      {"abs", [](R& r) { r.set_method(v1::ABS); }, kInvalid,
       "method: ABS, but the gradient supports only MULTIPLY"},
      {"maximum", [](R& r) { r.set_method(v1::MAXIMUM); }, kInvalid,
       "method: MAXIMUM, but the gradient supports only MULTIPLY"},
      {"masked", [](R& r) { r.set_method(v1::MASKED); }, kInvalid,
       "method: MASKED, but the gradient supports only MULTIPLY"},
      {"unknown method",
       [](R& r) { r.set_method(static_cast<v1::Method>(99)); }, kInvalid,
       "method: 99"},
      {"x length mismatch",
       [](R& r) { r.mutable_x()->mutable_data()->resize(7); }, kInvalid,
       "x.data: 7 bytes, but shape [3, 4] of FLOAT32 needs 48"},
      {"x negative dim", [](R& r) { r.mutable_x()->set_shape(0, -1); },
       kInvalid, "x.shape[0]: -1"},
      {"upstream dtype mismatch",
       [&](R& r) {
         with_upstream(r);
         r.mutable_upstream()->set_dtype(v1::INT32);
       },
       kInvalid, "upstream.dtype: INT32, but x.dtype is FLOAT32"},
      {"upstream shape mismatch",
       [&](R& r) {
         with_upstream(r);
         SetShape(*r.mutable_upstream(), {4, 3});
       },
       kInvalid, "upstream.shape: [4, 3], but x.shape is [3, 4]"},
      {"upstream length mismatch",
       [&](R& r) {
         with_upstream(r);
         r.mutable_upstream()->mutable_data()->resize(44);
       },
       kInvalid, "upstream.data: 44 bytes"},
      {"upstream present but empty", [](R& r) { r.mutable_upstream(); },
       kInvalid, "upstream.dtype"},
      {"unknown transform case",
       [](R& r) {
         *r.mutable_transform() = test_support::UnknownTransformCase();
       },
       kInvalid, "transform: field number 2"},
  };
  RunCases(valid, cases, ValidateGradient);
}

TEST(ValidateGradientRequest, ReportsUpstreamAndMultiply) {
  v1::GradientRequest request;
  *request.mutable_x() = RandomTensor(v1::BFLOAT16, {6}, kSeed);
  absl::StatusOr<GradientSpec> spec = ValidateGradient(request);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->has_upstream);
  EXPECT_EQ(spec->method, core::Method::kMultiply);
  *request.mutable_upstream() = request.x();
  spec = ValidateGradient(request);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->has_upstream);
  EXPECT_EQ(spec->x.bytes, 12);
}

}  // namespace
}  // namespace tensor_transform::server
