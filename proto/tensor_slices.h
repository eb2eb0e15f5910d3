// Zero-copy handling of the messages that carry tensors. A Tensor's data
// field is nearly all of a message's bytes; parsing it into a std::string
// and serializing it back costs a payload-sized copy each way. Here the data
// stays in the gRPC slices it arrived in (or is sent from the caller's
// memory), and only the small fields go through protobuf.
//
//   // Receiving: `request` is an ApplyRequest whose field 1 is a Tensor.
//   absl::StatusOr<SplitMessage> split = Split(request, {1});
//   v1::ApplyRequest small;  // everything but tensor.data
//   small.ParseFromString(split->skeleton);
//   absl::Span<const absl::Span<uint8_t>> x = split->data[0].spans;
//
//   // Sending: a TransformResponse whose tensor data is `pieces`.
//   std::vector<grpc::Slice> out;
//   AppendTensor(1, response.tensor(), std::move(pieces), &out);
//   response.clear_tensor();
//   AppendMessage(response, &out);
//   grpc::ByteBuffer buffer(out.data(), out.size());
//
// Encoded messages are ordinary protobuf: any client or server in any
// language reads and writes them.
#ifndef TENSOR_TRANSFORM_PROTO_TENSOR_SLICES_H_
#define TENSOR_TRANSFORM_PROTO_TENSOR_SLICES_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "proto/tensor_transform.pb.h"

namespace tensor_transform::tensor_slices {

// A tensor's data where it lies: `size` bytes in `pieces`, in order.
struct Data {
  std::vector<grpc::Slice> pieces;
  // Writable views of `pieces`, one each. Compute in them only where the
  // memory is this process's own: bytes received over a socket are, but an
  // in-process channel hands over the sender's own buffers.
  std::vector<absl::Span<uint8_t>> spans;
  size_t size = 0;
};

// A received message split into its small fields and its tensors' data.
struct SplitMessage {
  // The message without the data of its Tensor fields: parse it as the
  // message type. A Tensor field that was present stays present.
  std::string skeleton;
  // The data of each field Split was asked for, in order (empty when the
  // field or its data is absent; the last occurrence wins, as in protobuf).
  std::vector<Data> data;
};

// Splits `message`, whose fields numbered `tensor_fields` are
// tensor_transform.v1.Tensor and whose fields numbered `bytes_fields` are
// bytes (StreamRequest.data, .upstream), without copying any of their data:
// SplitMessage::data holds the tensors' data, then the bytes fields', in the
// order given, and the skeleton has neither. InvalidArgument naming the
// byte offset when the bytes are not a well-formed protobuf message.
absl::StatusOr<SplitMessage> Split(grpc::ByteBuffer& message,
                                   absl::Span<const int> tensor_fields,
                                   absl::Span<const int> bytes_fields = {});

// Appends to `out` the bytes field `field` holding `data`, referenced, not
// copied.
void AppendBytes(int field, std::vector<grpc::Slice> data,
                 std::vector<grpc::Slice>* out);

// Appends to `out` field `field` holding a Tensor with `tensor`'s fields
// (its own data must be empty) and `data` as its data, referenced, not
// copied.
void AppendTensor(int field, const v1::Tensor& tensor,
                  std::vector<grpc::Slice> data, std::vector<grpc::Slice>* out);

// Appends `message`, serialized, to `out`: its fields follow those appended
// before, as protobuf allows.
void AppendMessage(const google::protobuf::MessageLite& message,
                   std::vector<grpc::Slice>* out);

}  // namespace tensor_transform::tensor_slices

#endif  // TENSOR_TRANSFORM_PROTO_TENSOR_SLICES_H_
