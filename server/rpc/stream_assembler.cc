#include "server/rpc/stream_assembler.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "proto/wire.h"
#include "server/rpc/validation.h"

namespace tensor_transform::server {

StreamAssembler::StreamAssembler(StreamKind kind, int64_t max_elements)
    : kind_(kind), max_elements_(max_elements) {}

absl::Status StreamAssembler::Accept(const v1::StreamRequest& message,
                                     size_t data_bytes, size_t upstream_bytes) {
  if (!error_.ok()) return error_;
  error_ = has_header_ ? AcceptChunk(message, data_bytes, upstream_bytes)
                       : AcceptHeader(message, data_bytes, upstream_bytes);
  return error_;
}

absl::Status StreamAssembler::Finish() {
  if (!error_.ok()) return error_;
  if (!has_header_) {
    error_ = absl::InvalidArgumentError(
        "stream ended before its first message, which must carry the header");
  } else if (received_bytes_ < spec_.total_bytes) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("stream ended after ", received_bytes_, " of ",
                     spec_.total_bytes, " bytes announced by the header"));
  }
  return error_;
}

absl::Status StreamAssembler::AcceptHeader(const v1::StreamRequest& message,
                                           size_t data_bytes,
                                           size_t upstream_bytes) {
  if (!message.has_header()) {
    return absl::InvalidArgumentError(
        "header: missing, but the first message of a stream must carry it");
  }
  if (data_bytes != 0 || upstream_bytes != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data: ", data_bytes, " bytes and upstream: ", upstream_bytes,
        " bytes in the header message, which must carry no data"));
  }
  absl::Status header = ValidateHeader(message.header());
  if (!header.ok()) return header;
  has_header_ = true;
  return absl::OkStatus();
}

absl::Status StreamAssembler::ValidateHeader(const v1::StreamHeader& header) {
  absl::StatusOr<TensorSpec> tensor =
      ValidateDTypeAndShape(header.dtype(), header.shape(), "header");
  if (!tensor.ok()) return tensor.status();
  if (tensor->elements > max_elements_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "header.shape: ", tensor->elements,
        " elements, but a stream carries at most ", max_elements_));
  }
  absl::Status transform =
      ValidateTransform(header.transform(), "header.transform");
  if (!transform.ok()) return transform;
  const bool gradient = kind_ == StreamKind::kGradient;
  if (header.has_upstream() && !gradient) {
    return absl::InvalidArgumentError(
        "header.has_upstream: true, but only GradientStream takes upstream");
  }
  absl::StatusOr<core::Method> method =
      gradient
          ? ResolveGradientMethod(header.method(), "header.method")
          : ResolveApplyMethod(header.method(), tensor->dtype, "header.method");
  if (!method.ok()) return method.status();
  spec_ = StreamSpec{tensor->dtype, *method, tensor->elements, tensor->bytes,
                     header.has_upstream()};
  return absl::OkStatus();
}

absl::Status StreamAssembler::AcceptChunk(const v1::StreamRequest& message,
                                          size_t data_bytes,
                                          size_t upstream_bytes) {
  const std::string prefix = absl::StrCat("chunk ", chunks_, ": ");
  if (message.has_header()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix,
                     "carries a second header; only the first "
                     "message of a stream may"));
  }
  const auto size = static_cast<int64_t>(data_bytes);
  const auto itemsize = static_cast<int64_t>(core::ItemSize(spec_.dtype));
  if (size == 0 || size % itemsize != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix, "data is ", size, " bytes, but must be a non-zero multiple of ",
        itemsize, " (whole ", v1::DType_Name(wire::DTypeToProto(spec_.dtype)),
        " elements)"));
  }
  absl::Status upstream = CheckChunkUpstream(data_bytes, upstream_bytes);
  if (!upstream.ok()) return upstream;
  if (size > spec_.total_bytes - received_bytes_) {
    return absl::OutOfRangeError(absl::StrCat(
        prefix, "data is ", size, " bytes after ", received_bytes_,
        ", past the ", spec_.total_bytes, " bytes announced by the header"));
  }
  received_bytes_ += size;
  ++chunks_;
  return absl::OkStatus();
}

absl::Status StreamAssembler::CheckChunkUpstream(size_t data_bytes,
                                                 size_t upstream_bytes) const {
  const size_t size = upstream_bytes;
  if (size == data_bytes && spec_.has_upstream) {
    return absl::OkStatus();
  }
  if (size == 0 && !spec_.has_upstream) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "chunk ", chunks_, ": upstream is ", size, " bytes and data ", data_bytes,
      " bytes, but header.has_upstream is ",
      spec_.has_upstream ? "true, so they must be equal"
                         : "false, so it must "
                           "be empty"));
}

}  // namespace tensor_transform::server
