#include "server/service.h"

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/types/span.h"
#include "core/fastest_method.h"
#include "core/relu.h"
#include "server/blockwise.h"
#include "server/status_convert.h"
#include "server/stream_assembler.h"
#include "server/validation.h"
#include "server/wire.h"

namespace tensor_transform::server {
namespace {

absl::Span<uint8_t> Bytes(std::string& s) {
  return absl::MakeSpan(reinterpret_cast<uint8_t*>(s.data()), s.size());
}

absl::Span<const uint8_t> Bytes(const std::string& s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()),
                             s.size());
}

// Runs the core call `compute` and stores its steady-clock duration in *ns:
// server_compute_ns covers the kernel only, not parsing or serialization.
template <typename Compute>
absl::Status Timed(int64_t* ns, Compute&& compute) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = compute();
  *ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now() - start)
            .count();
  return status;
}

grpc::Status Cancelled() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
}

// Timed(ns, kernel) over a unary call's `bytes` block by block
// (server/blockwise.h): a cancelled or expired call stops between blocks.
// `kernel(offset, length)` computes one block.
template <typename Kernel>
absl::Status TimedBlocks(const grpc::ServerContext& context, size_t bytes,
                         core::DType dtype, int64_t* ns, Kernel&& kernel) {
  return Timed(ns, [&] {
    return ForEachBlock([&] { return context.IsCancelled(); }, bytes,
                        core::ItemSize(dtype), kernel);
  });
}

// Everything but the data: dtype and shape echo the request's `like`.
void FillResponse(const v1::Tensor& like, core::Method method, int64_t ns,
                  v1::TransformResponse* response) {
  v1::Tensor* tensor = response->mutable_tensor();
  tensor->set_dtype(like.dtype());
  *tensor->mutable_shape() = like.shape();
  response->set_method(MethodToProto(method));
  response->set_server_compute_ns(ns);
}

// The sync API hands each handler its request as const, yet the object is
// not const: the server allocated it for this one call and destroys it when
// the handler returns. The in-place RPCs compute in that buffer and swap it
// into the response, which avoids a second payload-sized allocation and the
// copy; that saving is what the in-place RPCs exist for.
template <typename Request>
Request* OwnedRequest(const Request* request) {
  return const_cast<Request*>(request);
}

void FillInPlaceResponse(const v1::Tensor& like, std::string* data,
                         core::Method method, int64_t ns,
                         v1::TransformResponse* response) {
  FillResponse(like, method, ns, response);
  response->mutable_tensor()->mutable_data()->swap(*data);
}

enum class ChunkCompute { kRelu, kReluInPlace, kGradient };

absl::Status CallCore(ChunkCompute compute, const StreamSpec& spec,
                      v1::StreamRequest* request, std::string* out) {
  std::string* data = request->mutable_data();
  switch (compute) {
    case ChunkCompute::kRelu:
      return core::Relu(spec.method, spec.dtype, Bytes(*data), Bytes(*out));
    case ChunkCompute::kReluInPlace:
      return core::ReluInPlace(spec.method, spec.dtype, Bytes(*data));
    case ChunkCompute::kGradient:
      return core::ReluGradient(spec.dtype, Bytes(*data),
                                Bytes(request->upstream()), Bytes(*data));
  }
  return absl::InternalError("unknown chunk computation");
}

// Computes one accepted chunk into `response`. Only kRelu allocates an output
// buffer; the others compute in the received buffer and swap it over.
absl::Status ComputeChunk(ChunkCompute compute, const StreamSpec& spec,
                          v1::StreamRequest* request,
                          v1::StreamResponse* response) {
  std::string* out = response->mutable_data();
  if (compute == ChunkCompute::kRelu) out->resize(request->data().size());
  int64_t ns = 0;
  absl::Status status =
      Timed(&ns, [&] { return CallCore(compute, spec, request, out); });
  if (!status.ok()) return status;
  if (compute != ChunkCompute::kRelu) out->swap(*request->mutable_data());
  response->set_method(MethodToProto(spec.method));
  response->set_server_compute_ns(ns);
  return absl::OkStatus();
}

grpc::Status ServeStream(ChunkCompute compute, const ServiceConfig& config,
                         grpc::ServerContext* context,
                         TensorTransformService::Stream* stream) {
  if (context->IsCancelled()) return Cancelled();
  StreamAssembler assembler(compute == ChunkCompute::kGradient
                                ? StreamKind::kGradient
                                : StreamKind::kApply,
                            config.max_stream_elements);
  v1::StreamRequest request;
  while (stream->Read(&request)) {
    if (context->IsCancelled()) return Cancelled();
    absl::Status status = assembler.Accept(request);
    if (!status.ok()) return ToGrpcStatus(status);
    if (assembler.chunks() == 0) continue;  // that was the header
    grpc::Status admitted = config.guard->Admit(
        *context, request.data().size() + request.upstream().size());
    if (!admitted.ok()) return admitted;
    v1::StreamResponse response;
    status = ComputeChunk(compute, assembler.spec(), &request, &response);
    if (!status.ok()) return ToGrpcStatus(status);
    config.guard->Computed(*context, assembler.spec().method,
                           response.server_compute_ns(),
                           response.data().size());
    if (!stream->Write(response)) return Cancelled();
  }
  return ToGrpcStatus(assembler.Finish());
}

void AddRpcMethods(absl::string_view rpc,
                   absl::Span<const core::Method> methods,
                   v1::DescribeResponse* response) {
  v1::DescribeResponse::RpcMethods* entry = response->add_rpc_methods();
  entry->set_rpc(std::string(rpc));
  for (core::Method method : methods) entry->add_methods(MethodToProto(method));
}

}  // namespace

TensorTransformService::TensorTransformService(const ServiceConfig& config)
    : config_(config) {}

grpc::Status TensorTransformService::Apply(grpc::ServerContext* context,
                                           const v1::ApplyRequest* request,
                                           v1::TransformResponse* response) {
  if (context->IsCancelled()) return Cancelled();
  absl::StatusOr<ApplySpec> spec = ValidateApplyRequest(*request);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  grpc::Status admitted = config_.guard->Admit(*context, spec->tensor.bytes);
  if (!admitted.ok()) return admitted;
  const std::string& in = request->tensor().data();
  std::string* out = response->mutable_tensor()->mutable_data();
  out->resize(in.size());
  int64_t ns = 0;
  absl::Status status = TimedBlocks(
      *context, in.size(), spec->tensor.dtype, &ns, [&](size_t at, size_t n) {
        return core::Relu(spec->method, spec->tensor.dtype,
                          Bytes(in).subspan(at, n), Bytes(*out).subspan(at, n));
      });
  if (!status.ok()) return ToGrpcStatus(status);
  FillResponse(request->tensor(), spec->method, ns, response);
  config_.guard->Computed(*context, spec->method, ns, out->size());
  return grpc::Status::OK;
}

grpc::Status TensorTransformService::ApplyInPlace(
    grpc::ServerContext* context, const v1::ApplyRequest* request,
    v1::TransformResponse* response) {
  if (context->IsCancelled()) return Cancelled();
  absl::StatusOr<ApplySpec> spec = ValidateApplyRequest(*request);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  grpc::Status admitted = config_.guard->Admit(*context, spec->tensor.bytes);
  if (!admitted.ok()) return admitted;
  std::string* data = OwnedRequest(request)->mutable_tensor()->mutable_data();
  int64_t ns = 0;
  absl::Status status =
      TimedBlocks(*context, data->size(), spec->tensor.dtype, &ns,
                  [&](size_t at, size_t n) {
                    return core::ReluInPlace(spec->method, spec->tensor.dtype,
                                             Bytes(*data).subspan(at, n));
                  });
  if (!status.ok()) return ToGrpcStatus(status);
  FillInPlaceResponse(request->tensor(), data, spec->method, ns, response);
  config_.guard->Computed(*context, spec->method, ns, spec->tensor.bytes);
  return grpc::Status::OK;
}

grpc::Status TensorTransformService::Gradient(
    grpc::ServerContext* context, const v1::GradientRequest* request,
    v1::TransformResponse* response) {
  if (context->IsCancelled()) return Cancelled();
  absl::StatusOr<GradientSpec> spec = ValidateGradientRequest(*request);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  grpc::Status admitted = config_.guard->Admit(
      *context, spec->x.bytes * (spec->has_upstream ? 2 : 1));
  if (!admitted.ok()) return admitted;
  std::string* x = OwnedRequest(request)->mutable_x()->mutable_data();
  absl::Span<const uint8_t> upstream;
  if (spec->has_upstream) upstream = Bytes(request->upstream().data());
  int64_t ns = 0;
  absl::Status status = TimedBlocks(
      *context, x->size(), spec->x.dtype, &ns, [&](size_t at, size_t n) {
        return core::ReluGradient(
            spec->x.dtype, Bytes(*x).subspan(at, n),
            upstream.empty() ? upstream : upstream.subspan(at, n),
            Bytes(*x).subspan(at, n));
      });
  if (!status.ok()) return ToGrpcStatus(status);
  FillInPlaceResponse(request->x(), x, spec->method, ns, response);
  config_.guard->Computed(*context, spec->method, ns, spec->x.bytes);
  return grpc::Status::OK;
}

grpc::Status TensorTransformService::ApplyStream(grpc::ServerContext* context,
                                                 Stream* stream) {
  return ServeStream(ChunkCompute::kRelu, config_, context, stream);
}

grpc::Status TensorTransformService::ApplyInPlaceStream(
    grpc::ServerContext* context, Stream* stream) {
  return ServeStream(ChunkCompute::kReluInPlace, config_, context, stream);
}

grpc::Status TensorTransformService::GradientStream(
    grpc::ServerContext* context, Stream* stream) {
  return ServeStream(ChunkCompute::kGradient, config_, context, stream);
}

grpc::Status TensorTransformService::Describe(
    grpc::ServerContext* context, const v1::DescribeRequest* /*request*/,
    v1::DescribeResponse* response) {
  if (context->IsCancelled()) return Cancelled();
  response->add_transforms("relu");
  for (core::DType dtype : core::kAllDTypes) {
    response->add_dtypes(DTypeToProto(dtype));
  }
  for (absl::string_view rpc :
       {"Apply", "ApplyInPlace", "ApplyStream", "ApplyInPlaceStream"}) {
    AddRpcMethods(rpc, core::kAllMethods, response);
  }
  for (absl::string_view rpc : {"Gradient", "GradientStream"}) {
    AddRpcMethods(rpc, {kGradientMethod}, response);
  }
  response->set_default_method(
      MethodToProto(core::FastestMethod(core::DType::kFloat64)));
  response->set_max_message_bytes(config_.max_message_bytes);
  response->set_max_rank(kMaxRank);
  response->set_max_stream_elements(config_.max_stream_elements);
  response->set_recommended_chunk_bytes(config_.recommended_chunk_bytes);
  return grpc::Status::OK;
}

}  // namespace tensor_transform::server
