// Bounds how many unary requests are being received at once. The unary
// handlers read their request themselves (they are registered as streamed
// unary methods, server/rpc/service.h), and a request being received is held in
// memory before the memory budget (server/admission/call_guard.h) can know its
// size and admit or refuse it. Without a bound, a burst of large requests is
// received all at once, far past the budget; with one, the calls beyond it
// wait unread (HTTP/2 flow control holds their data back at the client) and
// are admitted or refused one after another.
//
//   ReadGate gate(3);
//   if (!gate.Enter(*context)) return Cancelled();  // waits for a slot
//   bool read = streamer->Read(&request);
//   gate.Leave();
#ifndef TENSOR_TRANSFORM_SERVER_ADMISSION_READ_GATE_H_
#define TENSOR_TRANSFORM_SERVER_ADMISSION_READ_GATE_H_

#include <grpcpp/server_context.h>

#include <condition_variable>
#include <mutex>

namespace tensor_transform::server {

class ReadGate {
 public:
  // At most `slots` receptions at once; 0: no bound.
  explicit ReadGate(int slots) : slots_(slots) {}

  // Waits for a free slot. False, without one, when the call was cancelled
  // or its deadline passed while it waited. Thread-safe.
  bool Enter(const grpc::ServerContextBase& context);
  // Frees the slot Enter took.
  void Leave();

 private:
  const int slots_;
  // Standard primitives, not Abseil's: ThreadSanitizer sees pthread locks,
  // not those of the uninstrumented Abseil library.
  std::mutex mu_;  // guards busy_
  std::condition_variable freed_;
  int busy_ = 0;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_ADMISSION_READ_GATE_H_
