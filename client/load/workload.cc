#include "client/load/workload.h"

#include <utility>

#include "core/reference.h"

namespace tensor_transform::client {

LoadWorkload::LoadWorkload(const std::vector<MixEntry>& mix, Mode mode,
                           int64_t chunk_bytes, NpyArray tensor, bool verify)
    : entries_(mix),
      order_(mix),
      tensor_bytes_(static_cast<int64_t>(tensor.data.size())),
      verify_(verify) {
  const auto* x = reinterpret_cast<const uint8_t*>(tensor.data.data());
  const size_t n = tensor.data.size() / core::ItemSize(tensor.dtype);
  if (verify) {
    relu_.resize(tensor.data.size());
    gradient_.resize(tensor.data.size());
    core::ReferenceRelu(tensor.dtype, x,
                        reinterpret_cast<uint8_t*>(relu_.data()), n);
    core::ReferenceGradient(tensor.dtype, x, nullptr,
                            reinterpret_cast<uint8_t*>(gradient_.data()), n);
  }
  for (const MixEntry& entry : entries_) {
    const CallSpec spec{entry.rpc,    entry.method, tensor.dtype,
                        tensor.shape, mode,         chunk_bytes};
    payloads_.push_back(std::make_unique<Payload>(spec, tensor.data));
    const std::string* expected =
        entry.rpc == Rpc::kGradient ? &gradient_ : &relu_;
    expected_.push_back(verify ? expected : nullptr);
  }
}

absl::Status LoadWorkload::PlaceInSharedMemory(
    const std::vector<TensorClient*>& clients, int slots) {
  absl::StatusOr<std::unique_ptr<SharedWorkspace>> shared =
      SharedWorkspace::Create(payloads_.front()->x(), clients, slots);
  if (!shared.ok()) return shared.status();
  shared_ = *std::move(shared);
  return absl::OkStatus();
}

}  // namespace tensor_transform::client
