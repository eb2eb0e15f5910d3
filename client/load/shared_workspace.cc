#include "client/load/shared_workspace.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client {
namespace {

constexpr size_t kPage = 4096;

}  // namespace

absl::StatusOr<std::unique_ptr<SharedWorkspace>> SharedWorkspace::Create(
    const std::string& tensor, const std::vector<TensorClient*>& clients,
    int slots) {
  const int n = static_cast<int>(clients.size());
  const size_t stride =
      std::max(kPage, (tensor.size() + kPage - 1) / kPage * kPage);
  std::unique_ptr<SharedWorkspace> workspace(
      new SharedWorkspace(tensor.size(), stride, n));
  for (int i = 0; i < n; ++i) {
    const int own_slots = i < slots ? (slots - i + n - 1) / n : 0;
    if (own_slots == 0) {
      workspace->regions_.push_back(nullptr);
      continue;
    }
    // The tensor, then an output and an in-place area per slot.
    absl::StatusOr<std::unique_ptr<SharedMemoryRegion>> region =
        SharedMemoryRegion::Create(*clients[i],
                                   stride * (1 + 2 * size_t(own_slots)));
    if (!region.ok()) {
      return absl::Status(region.status().code(),
                          absl::StrCat("mode shm: a region on connection ", i,
                                       ": ", region.status().message()));
    }
    uint8_t* base = (*region)->bytes().data();
    std::memcpy(base, tensor.data(), tensor.size());
    for (int j = 0; j < own_slots; ++j) {
      std::memcpy(base + stride * (2 + 2 * size_t(j)), tensor.data(),
                  tensor.size());
    }
    workspace->regions_.push_back(*std::move(region));
  }
  return workspace;
}

CallBuffers SharedWorkspace::Buffers(int slot, Rpc rpc) const {
  uint8_t* base = regions_[slot % clients_]->bytes().data();
  const size_t own = static_cast<size_t>(slot / clients_);
  const absl::Span<uint8_t> x(base, tensor_bytes_);
  const absl::Span<uint8_t> out(base + stride_ * (1 + 2 * own), tensor_bytes_);
  const absl::Span<uint8_t> in_place(base + stride_ * (2 + 2 * own),
                                     tensor_bytes_);
  if (rpc == Rpc::kApplyInPlace) return {in_place, {}, in_place};
  return {x, {}, out};
}

}  // namespace tensor_transform::client
