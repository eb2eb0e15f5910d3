#include "server/rpc/blockwise.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <limits>
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

// One element that lies across pieces, computed in copies of its own.
struct Straddle {
  std::array<uint8_t, 8> x, upstream, out;
  Cursor out_at;  // where `out` is written back
};

absl::Status TooShort() {
  return absl::InternalError("an array holds fewer bytes than its tensor");
}

// The runs of one block, [done, end): the cursors move to `end`.
class BlockRuns {
 public:
  BlockRuns(const Arrays& arrays, size_t itemsize)
      : x_(arrays.x),
        out_(arrays.out),
        upstream_(arrays.upstream),
        has_upstream_(!arrays.upstream.empty()),
        itemsize_(itemsize) {}

  absl::Status Collect(size_t length) {
    runs_.clear();
    straddles_.clear();
    while (length > 0) {
      size_t n = std::min({length, x_.Contiguous(), out_.Contiguous(),
                           has_upstream_ ? upstream_.Contiguous()
                                         : std::numeric_limits<size_t>::max()});
      n -= n % itemsize_;
      absl::Status status = n > 0 ? AddRun(n) : AddStraddle();
      if (!status.ok()) return status;
      n = std::max(n, itemsize_);
      length -= n;
    }
    return absl::OkStatus();
  }

  absl::Span<const core::Run> runs() const { return runs_; }

  void WriteBack() {
    for (Straddle& s : straddles_) {
      s.out_at.Copy(s.out.data(), itemsize_, /*gather=*/false);
    }
  }

 private:
  absl::Status AddRun(size_t n) {
    core::Run run{{x_.here(), n}, {}, {out_.here(), n}};
    if (has_upstream_) run.upstream = {upstream_.here(), n};
    runs_.push_back(run);
    Advance(n);
    return absl::OkStatus();
  }

  absl::Status AddStraddle() {
    Straddle& s = straddles_.emplace_back();
    s.out_at = out_;
    // `out` is gathered only to check it has room: the kernel overwrites it.
    if (!x_.Copy(s.x.data(), itemsize_, /*gather=*/true) ||
        !out_.Copy(s.out.data(), itemsize_, /*gather=*/true) ||
        (has_upstream_ &&
         !upstream_.Copy(s.upstream.data(), itemsize_, /*gather=*/true))) {
      return TooShort();
    }
    core::Run run{{s.x.data(), itemsize_}, {}, {s.out.data(), itemsize_}};
    if (has_upstream_) run.upstream = {s.upstream.data(), itemsize_};
    runs_.push_back(run);
    Advance(itemsize_);
    return absl::OkStatus();
  }

  void Advance(size_t n) {
    x_.Advance(n);
    out_.Advance(n);
    if (has_upstream_) upstream_.Advance(n);
  }

  Cursor x_, out_, upstream_;
  const bool has_upstream_;
  const size_t itemsize_;
  std::vector<core::Run> runs_;
  std::deque<Straddle> straddles_;  // stable addresses for runs_
};

}  // namespace

absl::Status ForEachBlock(
    absl::FunctionRef<bool()> cancelled, size_t bytes, size_t itemsize,
    const Arrays& arrays,
    absl::FunctionRef<absl::Status(absl::Span<const core::Run> runs)> compute) {
  if (itemsize == 0 || itemsize > 8) {
    return absl::InternalError("ForEachBlock: unsupported itemsize");
  }
  BlockRuns block(arrays, itemsize);
  const size_t block_bytes =
      std::max(itemsize, kBlockBytes / itemsize * itemsize);
  size_t done = 0;
  do {  // once even for an empty array, so that the kernel sees every call
    if (cancelled()) {
      return absl::CancelledError(
          "the call was cancelled or its deadline passed");
    }
    const size_t length = std::min(block_bytes, bytes - done);
    absl::Status status = block.Collect(length);
    if (status.ok()) status = compute(block.runs());
    if (!status.ok()) return status;
    block.WriteBack();
    done += length;
  } while (done < bytes);
  return absl::OkStatus();
}

}  // namespace tensor_transform::server
