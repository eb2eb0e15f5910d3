#include "server/rpc/unary_call.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/tensor_slices.h"
#include "proto/tensor_transform.pb.h"
#include "proto/wire.h"
#include "server/rpc/status_convert.h"
#include "server/rpc/validation.h"

namespace tensor_transform::server {
namespace {

namespace v1 = ::tensor_transform::v1;

// Splits `request` into `small` (everything but its tensors' data) and the
// data of its Tensor fields `tensor_fields`, left in the received slices.
absl::StatusOr<std::vector<tensor_slices::Data>> Receive(
    grpc::ByteBuffer& request, absl::Span<const int> tensor_fields,
    google::protobuf::MessageLite* small) {
  absl::StatusOr<tensor_slices::SplitMessage> split =
      tensor_slices::Split(request, tensor_fields);
  if (!split.ok()) return split.status();
  if (!small->ParseFromString(split->skeleton)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request does not parse as ", small->GetTypeName()));
  }
  return std::move(split->data);
}

// The operands of an ApplyRequest, or of a GradientRequest for `gradient`;
// `like` gets the dtype and shape the response's tensor has.
absl::Status Parse(bool gradient, grpc::ByteBuffer& request, Operands* ops,
                   v1::Tensor* like) {
  if (!gradient) {
    v1::ApplyRequest small;
    auto data =
        Receive(request, {v1::ApplyRequest::kTensorFieldNumber}, &small);
    if (!data.ok()) return data.status();
    absl::StatusOr<ApplySpec> spec =
        ValidateApplyRequest(small, (*data)[0].size);
    if (!spec.ok()) return spec.status();
    *ops = {spec->tensor.dtype, spec->method, false, std::move((*data)[0]), {}};
    *like = std::move(*small.mutable_tensor());
    return absl::OkStatus();
  }
  v1::GradientRequest small;
  auto data = Receive(request,
                      {v1::GradientRequest::kXFieldNumber,
                       v1::GradientRequest::kUpstreamFieldNumber},
                      &small);
  if (!data.ok()) return data.status();
  absl::StatusOr<GradientSpec> spec =
      ValidateGradientRequest(small, (*data)[0].size, (*data)[1].size);
  if (!spec.ok()) return spec.status();
  *ops = {spec->x.dtype, spec->method, true, std::move((*data)[0]), {}};
  if (spec->has_upstream) ops->upstream = std::move((*data)[1]);
  *like = std::move(*small.mutable_x());
  return absl::OkStatus();
}

// The response: `data` as the tensor's data (sent from where it lies),
// dtype and shape those of `like`.
grpc::ByteBuffer Respond(const v1::Tensor& like, std::vector<grpc::Slice> data,
                         core::Method method, int64_t ns) {
  v1::Tensor tensor;
  tensor.set_dtype(like.dtype());
  *tensor.mutable_shape() = like.shape();
  std::vector<grpc::Slice> slices;
  tensor_slices::AppendTensor(v1::TransformResponse::kTensorFieldNumber, tensor,
                              std::move(data), &slices);
  v1::TransformResponse rest;
  rest.set_method(wire::MethodToProto(method));
  rest.set_server_compute_ns(ns);
  tensor_slices::AppendMessage(rest, &slices);
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace

void UnaryCall::OnMessage(grpc::ByteBuffer& message) {
  Operands ops;
  v1::Tensor like;
  absl::Status parsed = Parse(rpc_.gradient, message, &ops, &like);
  if (!parsed.ok()) return End(ToGrpcStatus(parsed));
  Computed out;
  grpc::Status status = Run(ops, &out);
  if (!status.ok()) return End(status);
  response_ = Respond(like, std::move(out.data), ops.method, out.compute_ns);
  RespondAndEnd(&response_);
}

void UnaryCall::OnRequestsDone() {
  End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                   absl::StrCat("request: none, but ", rpc_.name,
                                " takes exactly one message")));
}

}  // namespace tensor_transform::server
