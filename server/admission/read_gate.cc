#include "server/admission/read_gate.h"

#include <chrono>

namespace tensor_transform::server {

bool ReadGate::Enter(const grpc::ServerContextBase& context) {
  if (slots_ == 0) return true;
  std::unique_lock<std::mutex> lock(mu_);
  // gRPC has no callback for a cancelled sync call: look every 10 ms.
  while (!freed_.wait_for(lock, std::chrono::milliseconds(10),
                          [this] { return busy_ < slots_; })) {
    if (context.IsCancelled()) return false;
  }
  ++busy_;
  return true;
}

void ReadGate::Leave() {
  if (slots_ == 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --busy_;
  }
  freed_.notify_one();
}

}  // namespace tensor_transform::server
