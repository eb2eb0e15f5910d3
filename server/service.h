// TensorTransformService: the tensor_transform.v1.TensorTransform handlers on
// gRPC's synchronous API. Handlers are thin: check cancellation, validate
// (validation.h, stream_assembler.h), call the core, convert its status, fill
// the response, record the compute time.
//
//   ServiceConfig config;
//   config.max_message_bytes = cap;
//   TensorTransformService service(config);
//   grpc::ServerBuilder builder;
//   builder.RegisterService(&service);  // service must outlive the server
#ifndef TENSOR_TRANSFORM_SERVER_SERVICE_H_
#define TENSOR_TRANSFORM_SERVER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "proto/tensor_transform.grpc.pb.h"
#include "server/call_guard.h"

namespace tensor_transform::server {

namespace v1 = ::tensor_transform::v1;

// Streams hold one chunk at a time, so this cap is not about memory: it
// refuses nonsense headers early while admitting any real array (2^40
// FLOAT64 elements are 8 TiB), and keeps every byte count far from int64
// overflow.
inline constexpr int64_t kDefaultMaxStreamElements = int64_t{1} << 40;

// Chunk size Describe recommends to streaming clients: large enough that
// per-message overhead is small, small enough to stay well under any
// reasonable message cap and in cache-friendly territory.
inline constexpr int64_t kDefaultRecommendedChunkBytes = int64_t{4} << 20;

struct ServiceConfig {
  // The unary message cap, enforced by the gRPC server (server.cc); the
  // service only reports it in Describe.
  int64_t max_message_bytes = int64_t{512} << 20;
  int64_t max_stream_elements = kDefaultMaxStreamElements;
  int64_t recommended_chunk_bytes = kDefaultRecommendedChunkBytes;
  // Asked before every received payload is processed, told after every
  // kernel run (server/call_guard.h): admission control and metrics. Must
  // outlive the service.
  CallGuard* guard = &NoCallGuard();
};

class TensorTransformService final : public v1::TensorTransform::Service {
 public:
  explicit TensorTransformService(const ServiceConfig& config);

  grpc::Status Apply(grpc::ServerContext* context,
                     const v1::ApplyRequest* request,
                     v1::TransformResponse* response) override;
  // Computes in the request's own buffer and moves it into the response.
  grpc::Status ApplyInPlace(grpc::ServerContext* context,
                            const v1::ApplyRequest* request,
                            v1::TransformResponse* response) override;
  // Computes in x's buffer and moves it into the response.
  grpc::Status Gradient(grpc::ServerContext* context,
                        const v1::GradientRequest* request,
                        v1::TransformResponse* response) override;

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
  ServiceConfig config_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_SERVICE_H_
