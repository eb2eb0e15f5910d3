// libFuzzer target: the streaming protocol (server/rpc/stream_assembler.h) on
// any sequence of messages, built from the input by a small program so that
// the fuzzer reaches deep states (a valid header, then chunks of chosen
// sizes, order and totals) as easily as malformed ones. Checked: an accepted
// header announces elements x itemsize bytes; an accepted chunk is whole,
// non-empty elements with upstream exactly when announced, and the total
// never passes the header's; an error sticks; Finish is OK exactly when the
// announced bytes all came.
//
// Input: byte 0 is the stream kind (bit 0: gradient) and the element cap
// (bits 1-2); then operations until the input ends:
//   0 len bytes...   a raw serialized StreamRequest of `len` bytes
//   1 d m u r dims.. a header: dtype, method, has_upstream, rank, signed dims
//   2 n u            a chunk of n bytes; upstream: none, same size, n/2
//   3                Finish
#include <cstdint>
#include <string>

#include "proto/tensor_transform.pb.h"
#include "server/rpc/stream_assembler.h"
#include "tests/fuzz/fuzz_check.h"

namespace tensor_transform::server {
namespace {

constexpr int64_t kCaps[] = {16, int64_t{1} << 20, int64_t{1} << 40,
                             INT64_MAX / 16};

// Reads the input byte by byte; zeros once it is exhausted.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return at_ >= size_; }
  uint8_t Next() { return at_ < size_ ? data_[at_++] : 0; }
  std::string Take(size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + at_), n);
    at_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

v1::StreamRequest Header(Input& in) {
  v1::StreamRequest message;
  v1::StreamHeader* header = message.mutable_header();
  header->set_dtype(static_cast<v1::DType>(in.Next() % 10));  // some unknown
  header->set_method(static_cast<v1::Method>(in.Next() % 6));
  header->set_has_upstream(in.Next() & 1);
  const int rank = in.Next() % 5;
  for (int i = 0; i < rank; ++i) {
    const int8_t dim = static_cast<int8_t>(in.Next());
    // 127 stands for a huge dimension, to reach the element cap and overflow.
    header->add_shape(dim == 127 ? int64_t{1} << 40 : dim);
  }
  return message;
}

v1::StreamRequest Chunk(Input& in) {
  v1::StreamRequest message;
  const size_t bytes = in.Next();
  message.set_data(std::string(bytes, '\x5a'));
  const uint8_t upstream = in.Next() % 3;
  if (upstream == 1) message.set_upstream(std::string(bytes, '\x21'));
  if (upstream == 2) message.set_upstream(std::string(bytes / 2, '\x21'));
  return message;
}

// The model the assembler is checked against.
struct Seen {
  bool header = false;
  int64_t chunks = 0;
  int64_t bytes = 0;
  absl::Status error;
};

void CheckAccepted(const StreamAssembler& assembler,
                   const v1::StreamRequest& message, Seen& seen) {
  const StreamSpec& spec = assembler.spec();
  if (!seen.header) {
    seen.header = true;
    TT_FUZZ_CHECK(assembler.has_header(), "the header was taken");
    TT_FUZZ_CHECK(
        spec.total_bytes ==
            spec.elements * static_cast<int64_t>(core::ItemSize(spec.dtype)),
        "total bytes = elements x itemsize");
    return;
  }
  const int64_t size = static_cast<int64_t>(message.data().size());
  TT_FUZZ_CHECK(size > 0 && size % core::ItemSize(spec.dtype) == 0,
                "chunks are whole, non-empty elements");
  TT_FUZZ_CHECK(message.upstream().size() ==
                    (spec.has_upstream ? message.data().size() : 0),
                "upstream exactly when announced, as long as data");
  seen.bytes += size;
  TT_FUZZ_CHECK(seen.bytes <= spec.total_bytes, "never past the total");
  TT_FUZZ_CHECK(assembler.chunks() == ++seen.chunks, "chunks counted");
}

void Feed(StreamAssembler& assembler, const v1::StreamRequest& message,
          Seen& seen) {
  const absl::Status status = assembler.Accept(message);
  if (!seen.error.ok()) {
    TT_FUZZ_CHECK(status == seen.error, "an error sticks");
  } else if (status.ok()) {
    CheckAccepted(assembler, message, seen);
  } else {
    TT_FUZZ_CHECK(!status.message().empty(), "errors say why");
    seen.error = status;
  }
}

void CheckFinish(StreamAssembler& assembler, const Seen& seen) {
  const absl::Status status = assembler.Finish();
  const bool complete = seen.error.ok() && seen.header &&
                        seen.bytes == assembler.spec().total_bytes;
  TT_FUZZ_CHECK(status.ok() == complete,
                "Finish is OK exactly when every announced byte came");
}

}  // namespace
}  // namespace tensor_transform::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ts = tensor_transform::server;
  ts::Input in(data, size);
  const uint8_t setup = in.Next();
  ts::StreamAssembler assembler(
      setup & 1 ? ts::StreamKind::kGradient : ts::StreamKind::kApply,
      ts::kCaps[(setup >> 1) & 3]);
  ts::Seen seen;
  while (!in.done()) {
    const uint8_t op = in.Next() % 4;
    if (op == 3) break;
    ts::v1::StreamRequest message;
    if (op == 0) {
      if (!message.ParseFromString(in.Take(in.Next()))) continue;
    } else {
      message = op == 1 ? ts::Header(in) : ts::Chunk(in);
    }
    ts::Feed(assembler, message, seen);
  }
  ts::CheckFinish(assembler, seen);
  return 0;
}
