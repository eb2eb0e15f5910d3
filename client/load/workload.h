// The payloads of a load test, built once before it starts: one tensor
// (generated or read from .npy) encoded into a request per mix entry, and,
// when verifying, the expected response of each entry computed once with the
// core's scalar reference. Calls then share these read-only buffers; in
// mode shm they run in shared-memory regions instead (PlaceInSharedMemory).
//
//   LoadWorkload workload(mix, Mode::kUnary, 1 << 20, std::move(tensor),
//                         /*verify=*/true);
//   const Payload& p = workload.payload(workload.order().At(call));
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_WORKLOAD_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_WORKLOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "client/data/npy_io.h"
#include "client/load/call_mix.h"
#include "client/load/shared_workspace.h"
#include "client/tensor_client.h"

namespace tensor_transform::client {

class LoadWorkload {
 public:
  // `mix` must not be empty.
  LoadWorkload(const std::vector<MixEntry>& mix, Mode mode, int64_t chunk_bytes,
               NpyArray tensor, bool verify);

  size_t size() const { return entries_.size(); }
  const MixEntry& entry(size_t i) const { return entries_[i]; }
  const Payload& payload(size_t i) const { return *payloads_[i]; }
  // The bytes a correct response to entry i holds; null when not verifying.
  const std::string* expected(size_t i) const { return expected_[i]; }
  const CallOrder& order() const { return order_; }
  // Tensor bytes a call sends (x; the gradient's upstream is never set).
  int64_t request_bytes() const { return tensor_bytes_; }
  bool verify() const { return verify_; }

  // Mode shm: creates the regions `slots` slots on `clients` call in
  // (SharedWorkspace::Create, whose errors it returns).
  absl::Status PlaceInSharedMemory(const std::vector<TensorClient*>& clients,
                                   int slots);
  // The regions; null unless placed in shared memory.
  const SharedWorkspace* shared_memory() const { return shared_.get(); }

 private:
  std::vector<MixEntry> entries_;
  CallOrder order_;
  std::vector<std::unique_ptr<Payload>> payloads_;
  std::string relu_;  // expected responses, empty when not verifying
  std::string gradient_;
  std::vector<const std::string*> expected_;
  int64_t tensor_bytes_ = 0;
  bool verify_ = false;
  std::unique_ptr<SharedWorkspace> shared_;
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_WORKLOAD_H_
