// TensorTransformService: the tensor_transform.v1.TensorTransform handlers on
// gRPC's synchronous API (the unary transforms registered as streamed unary
// methods of raw bytes). Handlers are thin: check cancellation, validate
// (validation.h, stream_assembler.h), call the core, convert its status, fill
// the response, record the compute time.
//
//   ServiceConfig config;
//   config.max_message_bytes = cap;
//   TensorTransformService service(config);
//   grpc::ServerBuilder builder;
//   builder.RegisterService(&service);  // service must outlive the server
#ifndef TENSOR_TRANSFORM_SERVER_RPC_SERVICE_H_
#define TENSOR_TRANSFORM_SERVER_RPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "proto/tensor_transform.grpc.pb.h"
#include "proto/wire.h"
#include "server/admission/call_guard.h"
#include "server/admission/read_gate.h"

namespace tensor_transform::server {

namespace v1 = ::tensor_transform::v1;

// Streams hold one chunk at a time, so this cap is not about memory: it
// refuses nonsense headers early while admitting any real array (2^40
// FLOAT64 elements are 8 TiB), and keeps every byte count far from int64
// overflow.
inline constexpr int64_t kDefaultMaxStreamElements = int64_t{1} << 40;

struct ServiceConfig {
  // The unary message cap, enforced by the gRPC server (server.cc); the
  // service only reports it in Describe.
  int64_t max_message_bytes = int64_t{512} << 20;
  int64_t max_stream_elements = kDefaultMaxStreamElements;
  int64_t recommended_chunk_bytes = wire::kDefaultRecommendedChunkBytes;
  // Unary requests received at once (server/admission/read_gate.h); 0: no
  // bound.
  int max_concurrent_unary_reads = 0;
  // Asked before every received payload is processed, told after every
  // kernel run (server/admission/call_guard.h): admission control and metrics.
  // Must outlive the service.
  CallGuard* guard = &NoCallGuard();
};

class TensorTransformService : public v1::TensorTransform::Service {
 public:
  explicit TensorTransformService(const ServiceConfig& config);

  // The unary RPCs, on the serialized ApplyRequest / GradientRequest and
  // TransformResponse. The tensor data is never copied: it stays in the
  // slices it arrived in (proto/tensor_slices.h); the response is sent from
  // Apply's one output buffer, or, for ApplyInPlace and Gradient, from the
  // very slices the request arrived in, computed in place. Virtual so that
  // tests can wrap them.
  virtual grpc::Status ApplyRaw(grpc::ServerContext* context,
                                grpc::ByteBuffer* request,
                                grpc::ByteBuffer* response);
  virtual grpc::Status ApplyInPlaceRaw(grpc::ServerContext* context,
                                       grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response);
  virtual grpc::Status GradientRaw(grpc::ServerContext* context,
                                   grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response);

  using Stream =
      grpc::ServerReaderWriter<v1::StreamResponse, v1::StreamRequest>;
  // One response per chunk, written as soon as it is computed: memory stays
  // O(chunk) whatever the array size.
  grpc::Status ApplyStream(grpc::ServerContext* context,
                           Stream* stream) override;
  grpc::Status ApplyInPlaceStream(grpc::ServerContext* context,
                                  Stream* stream) override;
  grpc::Status GradientStream(grpc::ServerContext* context,
                              Stream* stream) override;

  grpc::Status Describe(grpc::ServerContext* context,
                        const v1::DescribeRequest* request,
                        v1::DescribeResponse* response) override;

 private:
  using RawMethod = grpc::Status (TensorTransformService::*)(
      grpc::ServerContext*, grpc::ByteBuffer*, grpc::ByteBuffer*);
  // A handler that reads the call's one request message as raw bytes, runs
  // `method` and writes its response.
  grpc::internal::MethodHandler* RawUnary(RawMethod method);

  ServiceConfig config_;
  ReadGate read_gate_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_SERVICE_H_
