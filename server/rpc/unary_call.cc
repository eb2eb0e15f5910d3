#include "server/rpc/unary_call.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "proto/tensor_slices.h"
#include "proto/tensor_transform.pb.h"
#include "proto/wire.h"
#include "server/rpc/shared_operands.h"
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

// Where a request's operands lie, for the call that received it.
struct Received {
  const TransformRpc& rpc;
  const shm::Registry* shared_memory;
  const grpc::ServerContextBase& context;
};

// The response's tensor: `x`'s dtype and shape, and where the result went
// when it went to shared memory.
v1::Tensor Like(const v1::Tensor& x, const SharedRefs& refs) {
  v1::Tensor like;
  like.set_dtype(x.dtype());
  *like.mutable_shape() = x.shape();
  if (const v1::SharedMemoryRef* at = ResultRef(refs)) {
    *like.mutable_shared_memory() = *at;
  }
  return like;
}

const v1::SharedMemoryRef* RefOf(const v1::Tensor& tensor) {
  return tensor.has_shared_memory() ? &tensor.shared_memory() : nullptr;
}

absl::Status ParseApply(const Received& call, grpc::ByteBuffer& request,
                        Operands* ops, v1::Tensor* like) {
  v1::ApplyRequest small;
  auto data = Receive(request, {v1::ApplyRequest::kTensorFieldNumber}, &small);
  if (!data.ok()) return data.status();
  absl::StatusOr<ApplySpec> spec = ValidateApplyRequest(small, (*data)[0].size);
  if (!spec.ok()) return spec.status();
  *ops = {spec->tensor.dtype,    spec->method, false,
          std::move((*data)[0]), {},           {}};
  SharedRefs refs;
  refs.x = RefOf(small.tensor());
  refs.output = small.has_output() ? &small.output() : nullptr;
  refs.in_place = call.rpc.in_place;
  *like = Like(small.tensor(), refs);
  return AttachSharedMemory(call.shared_memory, call.context, refs, ops);
}

absl::Status ParseGradient(const Received& call, grpc::ByteBuffer& request,
                           Operands* ops, v1::Tensor* like) {
  v1::GradientRequest small;
  auto data = Receive(request,
                      {v1::GradientRequest::kXFieldNumber,
                       v1::GradientRequest::kUpstreamFieldNumber},
                      &small);
  if (!data.ok()) return data.status();
  absl::StatusOr<GradientSpec> spec =
      ValidateGradientRequest(small, (*data)[0].size, (*data)[1].size);
  if (!spec.ok()) return spec.status();
  *ops = {spec->x.dtype, spec->method, true, std::move((*data)[0]), {}, {}};
  if (spec->has_upstream) ops->upstream = std::move((*data)[1]);
  SharedRefs refs;
  refs.x = RefOf(small.x());
  refs.upstream = spec->has_upstream ? RefOf(small.upstream()) : nullptr;
  refs.output = small.has_output() ? &small.output() : nullptr;
  refs.x_field = "x";
  *like = Like(small.x(), refs);
  return AttachSharedMemory(call.shared_memory, call.context, refs, ops);
}

// The response: `data` as the tensor's data (sent from where it lies;
// none when the result went to shared memory), dtype, shape and shared
// memory reference those of `like`.
grpc::ByteBuffer Respond(const v1::Tensor& like, std::vector<grpc::Slice> data,
                         core::Method method, int64_t ns) {
  std::vector<grpc::Slice> slices;
  tensor_slices::AppendTensor(v1::TransformResponse::kTensorFieldNumber, like,
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
  const Received call{rpc_, env_.shared_memory, *context_};
  absl::Status parsed = rpc_.gradient
                            ? ParseGradient(call, message, &ops, &like)
                            : ParseApply(call, message, &ops, &like);
  if (!parsed.ok()) return End(ToGrpcStatus(parsed));
  Computed out;
  grpc::Status status = Run(ops, &out);
  // A region that shrank during the call holds zero pages, not the result.
  if (status.ok()) status = ToGrpcStatus(CheckSharedIntact(ops));
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
