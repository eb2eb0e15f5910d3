// Where the calls of a load test of mode shm work: per client (connection),
// one shared-memory region registered with the server, holding the
// workload's tensor once, the input of every Apply and Gradient call of the
// slots on that client, and per slot an output area and an in-place area.
// A slot's ApplyInPlace calls run on its in-place area, which starts as a
// copy of the tensor and from then on holds relu(tensor), which relu maps
// to itself: every call's expected result stays the same, and no call
// waits for a copy.
//
//   absl::StatusOr<std::unique_ptr<SharedWorkspace>> workspace =
//       SharedWorkspace::Create(tensor_bytes, clients, /*slots=*/64);
//   CallBuffers buffers = (*workspace)->Buffers(slot, Rpc::kApply);
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_SHARED_WORKSPACE_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_SHARED_WORKSPACE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/shared_memory.h"
#include "client/tensor_client.h"

namespace tensor_transform::client {

class SharedWorkspace {
 public:
  // Regions for `slots` slots spread over `clients` round robin (slot s on
  // clients[s % clients.size()], as the load runner spreads them), `tensor`
  // written into each. SharedMemoryRegion::Create's errors, e.g. the
  // server's FAILED_PRECONDITION when its shared memory is off.
  static absl::StatusOr<std::unique_ptr<SharedWorkspace>> Create(
      const std::string& tensor, const std::vector<TensorClient*>& clients,
      int slots);

  // The buffers of slot `slot`'s calls of `rpc` (slot < slots): the
  // in-place area for ApplyInPlace; the tensor and the slot's output area
  // for the others. `out` holds the result once the call has ended.
  CallBuffers Buffers(int slot, Rpc rpc) const;

 private:
  SharedWorkspace(size_t tensor_bytes, size_t stride, int clients)
      : tensor_bytes_(tensor_bytes), stride_(stride), clients_(clients) {}

  size_t tensor_bytes_;
  size_t stride_;  // between areas: tensor_bytes_ rounded up to a page
  int clients_;
  // One per client; null for a client without slots.
  std::vector<std::unique_ptr<SharedMemoryRegion>> regions_;
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_SHARED_WORKSPACE_H_
