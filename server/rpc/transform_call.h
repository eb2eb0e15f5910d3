// The reactor behind every transform RPC, on gRPC's callback API: a call
// holds no thread while it waits for its peer, whatever the number of
// calls. Each message is read as raw bytes (so its tensor data stays in the
// slices it arrived in), and each wait for a request message is timed by
// the ReceiveWatchdog. UnaryCall and StreamCall add what the RPC does with
// the messages; admission, the kernels and the call's end are here, once.
//
// All of a call's state is guarded by its own mutex; gRPC operations are
// started with it held, after checking that the call has not ended, so that
// no operation ever follows Finish. The watchdog ends a stalled call from
// its own thread; the reactor is deleted only when both gRPC (OnDone) and a
// watchdog in the middle of ending it have let go of it.
#ifndef TENSOR_TRANSFORM_SERVER_RPC_TRANSFORM_CALL_H_
#define TENSOR_TRANSFORM_SERVER_RPC_TRANSFORM_CALL_H_

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <mutex>

#include "server/admission/buffer_pool.h"
#include "server/admission/call_guard.h"
#include "server/rpc/receive_watchdog.h"
#include "server/rpc/rpcs.h"
#include "server/rpc/transform.h"
#include "server/shm/registry.h"

namespace tensor_transform::server {

// What every call of one service shares; outlives the calls.
struct CallEnv {
  CallGuard* guard = nullptr;
  BufferPool* pool = nullptr;
  ReceiveWatchdog* watchdog = nullptr;
  int64_t max_stream_elements = 0;
  // The shared-memory regions requests may name; null: the feature is off.
  shm::Registry* shared_memory = nullptr;
};

class TransformCall : public grpc::ServerGenericBidiReactor,
                      public ReceiveWatchdog::Watched {
 public:
  TransformCall(const CallEnv& env, const TransformRpc& rpc,
                grpc::CallbackServerContext* context);

  void OnReadDone(bool ok) final;
  void OnDone() final;
  void ReceiveTimedOut() final;

 protected:
  ~TransformCall() override = default;

  // A whole request message arrived. mu_ is held.
  virtual void OnMessage(grpc::ByteBuffer& message) = 0;
  // The client half-closed: no more request messages. mu_ is held.
  virtual void OnRequestsDone() = 0;

  // Reads the next request message, timing its arrival; nothing once the
  // call has ended. mu_ is held.
  void ReadNext();
  // Ends the call with `status`, once; later calls do nothing. mu_ is held.
  void End(const grpc::Status& status);
  // Sends `response` and ends the call with OK. mu_ is held.
  void RespondAndEnd(const grpc::ByteBuffer* response);
  bool ended() const { return ended_; }

  // Admits, computes and records `ops` for this call: the shared middle of
  // every RPC. Its own status (RESOURCE_EXHAUSTED, CANCELLED, ...) or OK.
  grpc::Status Run(Operands& ops, Computed* out);

  const CallEnv env_;
  const TransformRpc& rpc_;
  grpc::CallbackServerContext* const context_;
  // Recursive: gRPC may complete an operation inline when the watchdog's
  // thread ends the call, and the completion then locks it again.
  std::recursive_mutex mu_;

 private:
  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref();

  grpc::ByteBuffer request_;
  bool reading_ = false;
  bool ended_ = false;
  std::atomic<int> refs_{1};  // gRPC's, until OnDone
};

// The status of a call whose client went away or whose deadline passed.
grpc::Status Cancelled();

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_TRANSFORM_CALL_H_
