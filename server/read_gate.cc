#include "server/read_gate.h"

#include "absl/time/time.h"

namespace tensor_transform::server {

bool ReadGate::Enter(const grpc::ServerContextBase& context) {
  if (slots_ == 0) return true;
  absl::MutexLock lock(&mu_);
  const auto free = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return busy_ < slots_;
  };
  // gRPC has no callback for a cancelled sync call: look every 10 ms.
  while (
      !mu_.AwaitWithTimeout(absl::Condition(&free), absl::Milliseconds(10))) {
    if (context.IsCancelled()) return false;
  }
  ++busy_;
  return true;
}

void ReadGate::Leave() {
  if (slots_ == 0) return;
  absl::MutexLock lock(&mu_);
  --busy_;
}

}  // namespace tensor_transform::server
