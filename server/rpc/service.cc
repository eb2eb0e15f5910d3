#include "server/rpc/service.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/fastest_method.h"
#include "core/relu.h"
#include "proto/tensor_slices.h"
#include "proto/wire.h"
#include "server/admission/buffer_pool.h"
#include "server/rpc/blockwise.h"
#include "server/rpc/status_convert.h"
#include "server/rpc/stream_assembler.h"
#include "server/rpc/validation.h"

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

// Timed(ns, kernel) over a unary call's arrays run by run
// (server/rpc/blockwise.h): a cancelled or expired call stops between blocks.
template <typename Kernel>
absl::Status TimedRuns(const grpc::ServerContext& context, size_t bytes,
                       core::DType dtype, absl::Span<const Pieces> arrays,
                       int64_t* ns, Kernel&& kernel) {
  return Timed(ns, [&] {
    return ForEachRun([&] { return context.IsCancelled(); }, bytes,
                      core::ItemSize(dtype), arrays, kernel);
  });
}

// Splits a unary request into `small` (everything but its tensors' data) and
// the data of its Tensor fields `tensor_fields`, left in the received slices.
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

// The response to a unary transform: `data` as the tensor's data (sent from
// where it lies), dtype and shape those of `like`.
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

// The request fields that hold tensors.
constexpr int kApplyTensors[] = {v1::ApplyRequest::kTensorFieldNumber};
constexpr int kGradientTensors[] = {v1::GradientRequest::kXFieldNumber,
                                    v1::GradientRequest::kUpstreamFieldNumber};

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
  response->set_method(wire::MethodToProto(spec.method));
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
  for (core::Method method : methods)
    entry->add_methods(wire::MethodToProto(method));
}

}  // namespace

TensorTransformService::TensorTransformService(const ServiceConfig& config)
    : config_(config), read_gate_(config.max_concurrent_unary_reads) {
  // Apply, ApplyInPlace and Gradient are methods 0, 1 and 2 of the service,
  // in the order of the .proto (the index the generated WithRawMethod_*
  // classes use). They are served as streamed unary calls of raw bytes, so
  // that the handlers see the received slices instead of a parsed copy.
  MarkMethodStreamed(0, RawUnary(&TensorTransformService::ApplyRaw));
  MarkMethodStreamed(1, RawUnary(&TensorTransformService::ApplyInPlaceRaw));
  MarkMethodStreamed(2, RawUnary(&TensorTransformService::GradientRaw));
}

grpc::internal::MethodHandler* TensorTransformService::RawUnary(
    RawMethod method) {
  using Streamer =
      grpc::ServerUnaryStreamer<grpc::ByteBuffer, grpc::ByteBuffer>;
  return new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer,
                                                  grpc::ByteBuffer>(
      [this, method](grpc::ServerContext* context, Streamer* streamer) {
        grpc::ByteBuffer request, response;
        if (!read_gate_.Enter(*context)) return Cancelled();
        const bool read = streamer->Read(&request);
        read_gate_.Leave();
        if (!read) return Cancelled();
        grpc::Status status = (this->*method)(context, &request, &response);
        if (status.ok() && !streamer->Write(response)) return Cancelled();
        return status;
      });
}

grpc::Status TensorTransformService::ApplyRaw(grpc::ServerContext* context,
                                              grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) {
  if (context->IsCancelled()) return Cancelled();
  v1::ApplyRequest small;
  absl::StatusOr<std::vector<tensor_slices::Data>> data =
      Receive(*request, kApplyTensors, &small);
  if (!data.ok()) return ToGrpcStatus(data.status());
  const tensor_slices::Data& in = (*data)[0];
  absl::StatusOr<ApplySpec> spec = ValidateApplyRequest(small, in.size);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  grpc::Status admitted = config_.guard->Admit(*context, spec->tensor.bytes);
  if (!admitted.ok()) return admitted;
  // Uninitialised (the kernel writes every byte) and, when a response before
  // has returned its buffer, already paged in.
  grpc::Slice out = OutputBuffers().Take(in.size);
  const absl::Span<uint8_t> out_pieces[] = {
      {const_cast<uint8_t*>(out.begin()), out.size()}};
  int64_t ns = 0;
  absl::Status status = TimedRuns(
      *context, in.size, spec->tensor.dtype, {in.spans, out_pieces}, &ns,
      [&](absl::Span<const absl::Span<uint8_t>> runs) {
        return core::Relu(spec->method, spec->tensor.dtype, runs[0], runs[1]);
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response = Respond(small.tensor(), {out}, spec->method, ns);
  config_.guard->Computed(*context, spec->method, ns, in.size);
  return grpc::Status::OK;
}

grpc::Status TensorTransformService::ApplyInPlaceRaw(
    grpc::ServerContext* context, grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  if (context->IsCancelled()) return Cancelled();
  v1::ApplyRequest small;
  absl::StatusOr<std::vector<tensor_slices::Data>> data =
      Receive(*request, kApplyTensors, &small);
  if (!data.ok()) return ToGrpcStatus(data.status());
  tensor_slices::Data& x = (*data)[0];
  absl::StatusOr<ApplySpec> spec = ValidateApplyRequest(small, x.size);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  grpc::Status admitted = config_.guard->Admit(*context, spec->tensor.bytes);
  if (!admitted.ok()) return admitted;
  int64_t ns = 0;
  absl::Status status = TimedRuns(
      *context, x.size, spec->tensor.dtype, {x.spans}, &ns,
      [&](absl::Span<const absl::Span<uint8_t>> runs) {
        return core::ReluInPlace(spec->method, spec->tensor.dtype, runs[0]);
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response = Respond(small.tensor(), std::move(x.pieces), spec->method, ns);
  config_.guard->Computed(*context, spec->method, ns, spec->tensor.bytes);
  return grpc::Status::OK;
}

grpc::Status TensorTransformService::GradientRaw(grpc::ServerContext* context,
                                                 grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) {
  if (context->IsCancelled()) return Cancelled();
  v1::GradientRequest small;
  absl::StatusOr<std::vector<tensor_slices::Data>> data =
      Receive(*request, kGradientTensors, &small);
  if (!data.ok()) return ToGrpcStatus(data.status());
  tensor_slices::Data& x = (*data)[0];
  const tensor_slices::Data& upstream = (*data)[1];
  absl::StatusOr<GradientSpec> spec =
      ValidateGradientRequest(small, x.size, upstream.size);
  if (!spec.ok()) return ToGrpcStatus(spec.status());
  grpc::Status admitted = config_.guard->Admit(
      *context, spec->x.bytes * (spec->has_upstream ? 2 : 1));
  if (!admitted.ok()) return admitted;
  // Without an upstream gradient only x is walked (runs has one entry).
  std::vector<Pieces> arrays = {x.spans};
  if (spec->has_upstream) arrays.push_back(upstream.spans);
  int64_t ns = 0;
  absl::Status status = TimedRuns(
      *context, x.size, spec->x.dtype, arrays, &ns,
      [&](absl::Span<const absl::Span<uint8_t>> runs) {
        return core::ReluGradient(
            spec->x.dtype, runs[0],
            runs.size() > 1 ? runs[1] : absl::Span<uint8_t>(), runs[0]);
      });
  if (!status.ok()) return ToGrpcStatus(status);
  *response = Respond(small.x(), std::move(x.pieces), spec->method, ns);
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
    response->add_dtypes(wire::DTypeToProto(dtype));
  }
  for (absl::string_view rpc :
       {"Apply", "ApplyInPlace", "ApplyStream", "ApplyInPlaceStream"}) {
    AddRpcMethods(rpc, core::kAllMethods, response);
  }
  for (absl::string_view rpc : {"Gradient", "GradientStream"}) {
    AddRpcMethods(rpc, {kGradientMethod}, response);
  }
  response->set_default_method(
      wire::MethodToProto(core::FastestMethod(core::DType::kFloat64)));
  response->set_max_message_bytes(config_.max_message_bytes);
  response->set_max_rank(kMaxRank);
  response->set_max_stream_elements(config_.max_stream_elements);
  response->set_recommended_chunk_bytes(config_.recommended_chunk_bytes);
  return grpc::Status::OK;
}

}  // namespace tensor_transform::server
