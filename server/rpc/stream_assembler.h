// The protocol of the streaming RPCs as a pure state machine: it sees each
// received StreamRequest and the end of the stream, and says whether the
// stream is still well formed. It touches no gRPC type, so it can be driven
// by unit tests and fuzzers without a server.
//
//   StreamAssembler assembler(StreamKind::kApply, max_stream_elements);
//   absl::Status s = assembler.Accept(first);  // the header
//   while (stream->Read(&chunk)) {
//     s = assembler.Accept(chunk);             // one chunk of whole elements
//     ...
//   }
//   s = assembler.Finish();                    // all announced bytes arrived?
#ifndef TENSOR_TRANSFORM_SERVER_RPC_STREAM_ASSEMBLER_H_
#define TENSOR_TRANSFORM_SERVER_RPC_STREAM_ASSEMBLER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "core/types.h"
#include "proto/tensor_transform.pb.h"

namespace tensor_transform::server {

namespace v1 = ::tensor_transform::v1;

enum class StreamKind {
  kApply,     // ApplyStream and ApplyInPlaceStream
  kGradient,  // GradientStream: the only kind whose chunks may carry upstream
};

// What the header announced, once validated.
struct StreamSpec {
  core::DType dtype = core::DType::kFloat32;
  core::Method method = core::Method::kMaximum;
  int64_t elements = 0;
  int64_t total_bytes = 0;
  bool has_upstream = false;
};

class StreamAssembler {
 public:
  // Headers announcing more than `max_elements` elements are refused.
  StreamAssembler(StreamKind kind, int64_t max_elements);

  // Feeds the next received message: the header first, then the chunks.
  // Header: InvalidArgument when absent, when carrying data or upstream, or
  // when invalid as a unary tensor would be (dtype, shape, method,
  // transform; has_upstream outside GradientStream); ResourceExhausted when
  // it announces more than max_elements.
  // Chunk: InvalidArgument for a second header, empty data, data that is not
  // whole elements, or upstream absent/present against has_upstream or of
  // another length; OutOfRange when the bytes so far exceed the announced
  // total. After an error every further call returns that error.
  //
  // The chunk's data and upstream may arrive apart from the message
  // (proto/tensor_slices.h): their sizes are given, and the message's own
  // data and upstream fields are ignored.
  absl::Status Accept(const v1::StreamRequest& message, size_t data_bytes,
                      size_t upstream_bytes);
  // The same for a message that holds its data.
  absl::Status Accept(const v1::StreamRequest& message) {
    return Accept(message, message.data().size(), message.upstream().size());
  }

  // The client half-closed the stream. InvalidArgument when no header came
  // or fewer bytes than announced.
  absl::Status Finish();

  bool has_header() const { return has_header_; }
  // Valid once has_header().
  const StreamSpec& spec() const { return spec_; }
  // Chunks accepted so far.
  int64_t chunks() const { return chunks_; }

 private:
  absl::Status AcceptHeader(const v1::StreamRequest& message, size_t data_bytes,
                            size_t upstream_bytes);
  absl::Status ValidateHeader(const v1::StreamHeader& header);
  absl::Status AcceptChunk(const v1::StreamRequest& message, size_t data_bytes,
                           size_t upstream_bytes);
  absl::Status CheckChunkUpstream(size_t data_bytes,
                                  size_t upstream_bytes) const;

  StreamKind kind_;
  int64_t max_elements_;
  bool has_header_ = false;
  StreamSpec spec_;
  int64_t chunks_ = 0;
  int64_t received_bytes_ = 0;
  absl::Status error_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_STREAM_ASSEMBLER_H_
