#include "server/rpc/blockwise.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace tensor_transform::server {
namespace {

// A position in an array held in pieces.
class Cursor {
 public:
  Cursor() = default;
  explicit Cursor(Pieces pieces) : pieces_(pieces) { SkipEmpty(); }

  // Bytes from here to the end of the current piece.
  size_t Contiguous() const {
    return at_end() ? 0 : pieces_[index_].size() - offset_;
  }
  uint8_t* here() const { return pieces_[index_].data() + offset_; }
  bool at_end() const { return index_ == pieces_.size(); }

  // Moves `n` bytes on, across pieces if need be.
  void Advance(size_t n) {
    while (n > 0 && !at_end()) {
      const size_t k = std::min(n, Contiguous());
      offset_ += k;
      n -= k;
      SkipEmpty();
    }
  }

  // Copies `n` bytes from here into `out` (gather) or from `out` to here
  // (scatter), across pieces; the cursor does not move. False when the
  // array ends first.
  bool Copy(uint8_t* out, size_t n, bool gather) const {
    Cursor c = *this;
    while (n > 0) {
      if (c.at_end()) return false;
      const size_t k = std::min(n, c.Contiguous());
      if (gather) {
        std::memcpy(out, c.here(), k);
      } else {
        std::memcpy(c.here(), out, k);
      }
      out += k;
      n -= k;
      c.Advance(k);
    }
    return true;
  }

 private:
  void SkipEmpty() {
    while (!at_end() && offset_ == pieces_[index_].size()) {
      ++index_;
      offset_ = 0;
    }
  }

  Pieces pieces_;
  size_t index_ = 0;
  size_t offset_ = 0;
};

// Runs whose bytes are not aligned to their elements (a received slice may
// start anywhere) are computed in aligned scratch copies of this size, which
// stay in cache: the core requires element-aligned buffers.
constexpr size_t kScratchBytes = size_t{64} << 10;

bool Aligned(const uint8_t* p, size_t itemsize) {
  return reinterpret_cast<uintptr_t>(p) % itemsize == 0;
}

absl::Status TooShort() {
  return absl::InternalError("an array holds fewer bytes than its tensor");
}

}  // namespace

absl::Status ForEachRun(
    absl::FunctionRef<bool()> cancelled, size_t bytes, size_t itemsize,
    absl::Span<const Pieces> arrays,
    absl::FunctionRef<absl::Status(absl::Span<const absl::Span<uint8_t>> runs)>
        compute) {
  if (arrays.size() > kMaxArrays || itemsize == 0 || itemsize > 8) {
    return absl::InternalError("ForEachRun: unsupported arrays or itemsize");
  }
  const size_t n = arrays.size();
  std::array<Cursor, kMaxArrays> cursors;
  for (size_t i = 0; i < n; ++i) cursors[i] = Cursor(arrays[i]);
  std::array<absl::Span<uint8_t>, kMaxArrays> runs;
  const absl::Span<const absl::Span<uint8_t>> view(runs.data(), n);
  if (bytes == 0) return compute(view);
  const size_t block = std::max(itemsize, kBlockBytes / itemsize * itemsize);
  std::vector<uint64_t> scratch;  // kMaxArrays x kScratchBytes when needed
  for (size_t done = 0, block_end = 0; done < bytes;) {
    if (done >= block_end) {
      if (cancelled()) {
        return absl::CancelledError(
            "the call was cancelled or its deadline passed");
      }
      block_end = done + block;
    }
    size_t length = std::min(bytes, block_end) - done;
    for (size_t i = 0; i < n; ++i) {
      length = std::min(length, cursors[i].Contiguous());
    }
    length -= length % itemsize;
    bool aligned = length > 0;
    for (size_t i = 0; i < n && aligned; ++i) {
      aligned = Aligned(cursors[i].here(), itemsize);
    }
    absl::Status status;
    if (aligned) {
      for (size_t i = 0; i < n; ++i) runs[i] = {cursors[i].here(), length};
      status = compute(view);
    } else {
      // Misaligned, or an element lies across two pieces of some array:
      // compute in scratch copies, then write them back.
      length = length == 0 ? itemsize : std::min(length, kScratchBytes);
      if (scratch.empty()) scratch.resize(kMaxArrays * kScratchBytes / 8);
      std::array<bool, kMaxArrays> copied{};
      for (size_t i = 0; i < n; ++i) {
        uint8_t* here = cursors[i].at_end() ? nullptr : cursors[i].here();
        if (cursors[i].Contiguous() >= length && Aligned(here, itemsize)) {
          runs[i] = {here, length};
          continue;
        }
        auto* copy =
            reinterpret_cast<uint8_t*>(scratch.data()) + i * kScratchBytes;
        if (!cursors[i].Copy(copy, length, /*gather=*/true)) return TooShort();
        runs[i] = {copy, length};
        copied[i] = true;
      }
      status = compute(view);
      for (size_t i = 0; i < n; ++i) {
        if (copied[i]) {
          cursors[i].Copy(runs[i].data(), length, /*gather=*/false);
        }
      }
    }
    if (!status.ok()) return status;
    for (size_t i = 0; i < n; ++i) cursors[i].Advance(length);
    done += length;
  }
  return absl::OkStatus();
}

}  // namespace tensor_transform::server
