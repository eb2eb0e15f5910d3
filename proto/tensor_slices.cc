#include "proto/tensor_slices.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::tensor_slices {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

// Tensor.data: field 1, length-delimited.
constexpr uint32_t kDataTag =
    WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);

// Where a tensor's data lies in the message.
struct Range {
  size_t offset = 0;
  size_t size = 0;
};

// What Split gathers about one Tensor field.
struct TensorField {
  bool present = false;
  std::string fields;  // its fields but data, as they were encoded
  std::optional<Range> data;
};

absl::Status Malformed(const CodedInputStream& in) {
  return absl::InvalidArgumentError(
      absl::StrCat("the message is not valid protobuf (at byte ",
                   in.CurrentPosition(), ")"));
}

// Reads the body of a Tensor field (its length already read): records the
// data's place and copies every other field to `tensor->fields`.
absl::Status ReadTensor(CodedInputStream& in, uint32_t length,
                        TensorField* tensor) {
  if (length > INT_MAX) return Malformed(in);
  tensor->present = true;
  const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
  {
    StringOutputStream stream(&tensor->fields);
    CodedOutputStream fields(&stream);
    while (const uint32_t tag = in.ReadTag()) {
      if (tag == kDataTag) {
        uint32_t size;
        if (!in.ReadVarint32(&size) || size > INT_MAX) return Malformed(in);
        const Range data{static_cast<size_t>(in.CurrentPosition()), size};
        if (!in.Skip(static_cast<int>(size))) return Malformed(in);
        tensor->data = data;
      } else if (!WireFormatLite::SkipField(&in, tag, &fields)) {
        return Malformed(in);
      }
    }
  }
  if (!in.ConsumedEntireMessage()) return Malformed(in);
  in.PopLimit(limit);
  return absl::OkStatus();
}

// The slices of `message` that hold [range.offset, range.offset + size).
Data Slice(const std::vector<grpc::Slice>& slices, Range range) {
  Data data;
  data.size = range.size;
  size_t start = 0;  // offset of the current slice in the message
  for (const grpc::Slice& slice : slices) {
    const size_t end = start + slice.size();
    const size_t from = std::max(start, range.offset);
    const size_t to = std::min(end, range.offset + range.size);
    if (from < to) data.pieces.push_back(slice.sub(from - start, to - start));
    start = end;
  }
  for (grpc::Slice& piece : data.pieces) {
    // Received slices are this process's memory (see Data::spans).
    data.spans.emplace_back(const_cast<uint8_t*>(piece.begin()), piece.size());
  }
  return data;
}

void WriteLengthDelimitedHeader(int field, size_t length,
                                CodedOutputStream& out) {
  out.WriteTag(WireFormatLite::MakeTag(
      field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  out.WriteVarint64(length);
}

}  // namespace

absl::StatusOr<SplitMessage> Split(grpc::ByteBuffer& message,
                                   absl::Span<const int> tensor_fields) {
  std::vector<TensorField> tensors(tensor_fields.size());
  SplitMessage split;
  {
    grpc::ProtoBufferReader reader(&message);
    CodedInputStream in(&reader);
    StringOutputStream stream(&split.skeleton);
    CodedOutputStream others(&stream);
    while (const uint32_t tag = in.ReadTag()) {
      const auto field = std::find(tensor_fields.begin(), tensor_fields.end(),
                                   WireFormatLite::GetTagFieldNumber(tag));
      if (field != tensor_fields.end() &&
          WireFormatLite::GetTagWireType(tag) ==
              WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
        uint32_t length;
        if (!in.ReadVarint32(&length)) return Malformed(in);
        absl::Status status =
            ReadTensor(in, length, &tensors[field - tensor_fields.begin()]);
        if (!status.ok()) return status;
      } else if (!WireFormatLite::SkipField(&in, tag, &others)) {
        return Malformed(in);
      }
    }
    if (!in.ConsumedEntireMessage()) return Malformed(in);
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!tensors[i].present) continue;
      WriteLengthDelimitedHeader(tensor_fields[i], tensors[i].fields.size(),
                                 others);
      others.WriteString(tensors[i].fields);
    }
  }
  std::vector<grpc::Slice> slices;
  if (!message.Dump(&slices).ok()) {
    return absl::InternalError("cannot read the received message's slices");
  }
  for (const TensorField& tensor : tensors) {
    split.data.push_back(tensor.data ? Slice(slices, *tensor.data) : Data());
  }
  return split;
}

void AppendTensor(int field, const v1::Tensor& tensor,
                  std::vector<grpc::Slice> data,
                  std::vector<grpc::Slice>* out) {
  size_t size = 0;
  for (const grpc::Slice& piece : data) size += piece.size();
  const std::string fields = tensor.SerializeAsString();
  std::string header;
  {
    StringOutputStream stream(&header);
    CodedOutputStream coded(&stream);
    WriteLengthDelimitedHeader(field,
                               CodedOutputStream::VarintSize32(kDataTag) +
                                   CodedOutputStream::VarintSize64(size) +
                                   size + fields.size(),
                               coded);
    WriteLengthDelimitedHeader(1, size, coded);
  }
  out->emplace_back(header);
  for (grpc::Slice& piece : data) out->push_back(std::move(piece));
  out->emplace_back(fields);
}

void AppendMessage(const google::protobuf::MessageLite& message,
                   std::vector<grpc::Slice>* out) {
  out->emplace_back(message.SerializeAsString());
}

}  // namespace tensor_transform::tensor_slices
