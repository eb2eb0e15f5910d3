#include "server/blockwise.h"

#include <algorithm>

namespace tensor_transform::server {

absl::Status ForEachBlock(
    absl::FunctionRef<bool()> cancelled, size_t bytes, size_t itemsize,
    absl::FunctionRef<absl::Status(size_t offset, size_t length)> compute) {
  const size_t block = std::max(itemsize, kBlockBytes / itemsize * itemsize);
  size_t offset = 0;
  do {
    if (cancelled()) {
      return absl::CancelledError(
          "the call was cancelled or its deadline passed");
    }
    const size_t length = std::min(block, bytes - offset);
    absl::Status status = compute(offset, length);
    if (!status.ok()) return status;
    offset += length;
  } while (offset < bytes);
  return absl::OkStatus();
}

}  // namespace tensor_transform::server
