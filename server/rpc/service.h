// TensorTransformService: the tensor_transform.v1.TensorTransform RPCs on
// gRPC's callback API. The transform RPCs are served by a generic callback
// service that binds each method name to its reactor (server/rpc/rpcs.h):
// every message is read as raw bytes, so that tensor data stays in the
// slices it arrived in, and no call holds a thread while it waits for its
// peer. Describe and the SystemSharedMemory* RPCs (shared_memory_rpcs.h)
// are ordinary callback methods of the generated service, which also makes
// the service known to reflection.
//
//   ServiceConfig config;
//   config.max_message_bytes = cap;
//   TensorTransformService service(config);
//   grpc::ServerBuilder builder;
//   service.Register(&builder);  // service must outlive the server
#ifndef TENSOR_TRANSFORM_SERVER_RPC_SERVICE_H_
#define TENSOR_TRANSFORM_SERVER_RPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>

#include "absl/time/time.h"
#include "proto/wire.h"
#include "server/admission/buffer_pool.h"
#include "server/admission/call_guard.h"
#include "server/admission/memory_budget.h"
#include "server/rpc/receive_watchdog.h"
#include "server/shm/registry.h"

namespace tensor_transform::server {

// Streams hold one chunk at a time, so this cap is not about memory: it
// refuses nonsense headers early while admitting any real array (2^40
// FLOAT64 elements are 8 TiB), and keeps every byte count far from int64
// overflow.
inline constexpr int64_t kDefaultMaxStreamElements = int64_t{1} << 40;

// How long a call may wait for a whole request message (a unary request,
// a stream's header or next chunk) before it ends with DEADLINE_EXCEEDED.
// A 512 MiB message takes well under a second over loopback and seconds
// over a real network; a stalled or trickling peer is cut off.
inline constexpr absl::Duration kDefaultReceiveTimeout = absl::Seconds(30);

struct ServiceConfig {
  // The unary message cap, enforced by the gRPC server (server.cc); the
  // service only reports it in Describe.
  int64_t max_message_bytes = int64_t{512} << 20;
  int64_t max_stream_elements = kDefaultMaxStreamElements;
  int64_t recommended_chunk_bytes = wire::kDefaultRecommendedChunkBytes;
  absl::Duration receive_timeout = kDefaultReceiveTimeout;
  // Asked before every received payload is processed, told after every
  // kernel run (server/admission/call_guard.h): admission control and
  // metrics. Must outlive the service.
  CallGuard* guard = &NoCallGuard();
  // The budget idle output buffers are reserved in (buffer_pool.h); null:
  // none. Must outlive the service.
  MemoryBudget* budget = nullptr;
  // The shared-memory regions clients register and requests name
  // (server/shm/registry.h); null: the feature is off. Must outlive the
  // service.
  shm::Registry* shared_memory = nullptr;
};

class TensorTransformService {
 public:
  explicit TensorTransformService(const ServiceConfig& config);
  ~TensorTransformService();
  TensorTransformService(const TensorTransformService&) = delete;
  TensorTransformService& operator=(const TensorTransformService&) = delete;

  // Registers every RPC of the service with `builder`. The service must
  // outlive the server built.
  void Register(grpc::ServerBuilder* builder);

  // Bytes of idle pooled output buffers (reserved in the budget).
  size_t idle_output_bytes() const { return output_buffers_->idle_bytes(); }

  // Ends every shared-memory lease call (UNAVAILABLE): a drain's last step
  // before in-flight calls are cancelled, since leases never end on their
  // own. Their regions are unmapped once no call computes in them.
  void EndLeases();

 private:
  class Transforms;
  class Callbacks;

  const ServiceConfig config_;
  std::shared_ptr<BufferPool> output_buffers_;
  ReceiveWatchdog watchdog_;
  std::unique_ptr<Transforms> transforms_;
  std::unique_ptr<Callbacks> callbacks_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_SERVICE_H_
