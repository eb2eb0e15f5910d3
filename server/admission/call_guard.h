// What the handlers tell the hardening layer about each call, and what it
// answers: before a handler processes a message it received it asks
// Admit() (memory budget), after the kernel ran it reports Computed()
// (metrics). Implemented by CallTracker (server/admission/call_tracker.h); the
// service holds it through this interface so that it depends on nothing else,
// and uses NoCallGuard() when none is configured.
//
//   grpc::Status admitted = guard.Admit(*context, payload_bytes, held_bytes);
//   if (!admitted.ok()) return admitted;  // before touching the payload
//   ... compute ...
//   guard.Computed(*context, method, compute_ns, result_bytes);
#ifndef TENSOR_TRANSFORM_SERVER_ADMISSION_CALL_GUARD_H_
#define TENSOR_TRANSFORM_SERVER_ADMISSION_CALL_GUARD_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <cstdint>

#include "core/types.h"

namespace tensor_transform::server {

class CallGuard {
 public:
  virtual ~CallGuard() = default;

  // Called once per received message that carries tensor bytes (the unary
  // request, each stream chunk), after validation and before any payload
  // processing: `payload_bytes` arrived, and the call holds `held_bytes`
  // (the received data, plus an output buffer unless it computes in place)
  // until the response computed from it has been sent. OK: go on, the bytes
  // stay reserved until then. Otherwise the status to end the call with at
  // once: RESOURCE_EXHAUSTED when holding them would exceed the memory
  // budget. Thread-safe.
  virtual grpc::Status Admit(const grpc::ServerContextBase& context,
                             int64_t payload_bytes, int64_t held_bytes) = 0;

  // The kernel ran on an admitted message with `method` for `compute_ns`,
  // producing `result_bytes`.
  virtual void Computed(const grpc::ServerContextBase& context,
                        core::Method method, int64_t compute_ns,
                        int64_t result_bytes) = 0;
};

// Admits everything, records nothing: the guard of a service built without
// one (unit tests, embedded servers without limits).
CallGuard& NoCallGuard();

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_ADMISSION_CALL_GUARD_H_
