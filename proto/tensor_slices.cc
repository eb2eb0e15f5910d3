#include "proto/tensor_slices.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tensor_transform::tensor_slices {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

// The protobuf wire format's tags: field number and wire type
// (protobuf.dev/programming-guides/encoding), written out here because
// protobuf's own helpers are internal API.
enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};
constexpr uint32_t MakeTag(int field, WireType type) {
  return static_cast<uint32_t>(field) << 3 | type;
}
constexpr int TagField(uint32_t tag) { return static_cast<int>(tag >> 3); }
constexpr uint32_t TagWireType(uint32_t tag) { return tag & 7; }

// Tensor.data: field 1, length-delimited.
constexpr uint32_t kDataTag = MakeTag(1, kLengthDelimited);

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

// The next tag, or 0 at the end of the input or of the current limit, or
// when the tag is one protobuf's parser refuses (sets *malformed): a varint
// longer than 5 bytes (CodedInputStream reads up to 10 and drops the high
// bits) or field number 0.
uint32_t ReadTag(CodedInputStream& in, bool* malformed) {
  const int start = in.CurrentPosition();
  const uint32_t tag = in.ReadTag();
  *malformed =
      tag != 0 && (in.CurrentPosition() - start > 5 || TagField(tag) == 0);
  return *malformed ? 0 : tag;
}

// Reads a length-delimited field's length as protobuf's parser accepts it:
// a varint of at most 5 bytes, at most INT_MAX.
bool ReadLength(CodedInputStream& in, uint32_t* length) {
  const int start = in.CurrentPosition();
  uint64_t value;
  if (!in.ReadVarint64(&value) || in.CurrentPosition() - start > 5 ||
      value > INT_MAX) {
    return false;
  }
  *length = static_cast<uint32_t>(value);
  return true;
}

// Protobuf's own limit on nested groups.
constexpr int kMaxDepth = 100;

// Copies the field whose `tag` was just read from `in` to `out`, checking
// it as protobuf's parser does (CodedInputStream alone is laxer: it takes
// 10-byte lengths and drops their high bits). False when it is malformed.
bool CopyField(CodedInputStream& in, uint32_t tag, CodedOutputStream& out,
               int depth = 0) {
  out.WriteTag(tag);
  switch (TagWireType(tag)) {
    case kVarint: {
      uint64_t value;
      if (!in.ReadVarint64(&value)) return false;
      out.WriteVarint64(value);
      return true;
    }
    case kFixed64: {
      uint64_t value;
      if (!in.ReadLittleEndian64(&value)) return false;
      out.WriteLittleEndian64(value);
      return true;
    }
    case kFixed32: {
      uint32_t value;
      if (!in.ReadLittleEndian32(&value)) return false;
      out.WriteLittleEndian32(value);
      return true;
    }
    case kLengthDelimited: {
      uint32_t length;
      std::string bytes;
      if (!ReadLength(in, &length) ||
          !in.ReadString(&bytes, static_cast<int>(length))) {
        return false;
      }
      out.WriteVarint32(length);
      out.WriteString(bytes);
      return true;
    }
    case kStartGroup: {
      if (depth >= kMaxDepth) return false;
      const uint32_t end = MakeTag(TagField(tag), kEndGroup);
      bool malformed = false;
      while (const uint32_t inner = ReadTag(in, &malformed)) {
        if (inner == end) {
          out.WriteTag(end);
          return true;
        }
        if (!CopyField(in, inner, out, depth + 1)) return false;
      }
      return false;  // the input ended inside the group
    }
    default:  // END_GROUP without its START_GROUP, or wire types 6 and 7
      return false;
  }
}

// Reads the body of a Tensor field (its length already read): records the
// data's place and copies every other field to `tensor->fields`.
absl::Status ReadTensor(CodedInputStream& in, uint32_t length,
                        TensorField* tensor) {
  tensor->present = true;
  const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(length));
  bool malformed = false;
  {
    StringOutputStream stream(&tensor->fields);
    CodedOutputStream fields(&stream);
    while (const uint32_t tag = ReadTag(in, &malformed)) {
      if (tag == kDataTag) {
        uint32_t size;
        if (!ReadLength(in, &size)) return Malformed(in);
        const Range data{static_cast<size_t>(in.CurrentPosition()), size};
        if (!in.Skip(static_cast<int>(size))) return Malformed(in);
        tensor->data = data;
      } else if (!CopyField(in, tag, fields)) {
        return Malformed(in);
      }
    }
  }
  // Ending early is legitimate only at the field's announced end: the
  // stream itself may not end inside it.
  if (malformed || !in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) {
    return Malformed(in);
  }
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
  out.WriteTag(MakeTag(field, kLengthDelimited));
  out.WriteVarint64(length);
}

}  // namespace

absl::StatusOr<SplitMessage> Split(grpc::ByteBuffer& message,
                                   absl::Span<const int> tensor_fields,
                                   absl::Span<const int> bytes_fields) {
  std::vector<TensorField> tensors(tensor_fields.size());
  std::vector<std::optional<Range>> bytes(bytes_fields.size());
  SplitMessage split;
  {
    grpc::ProtoBufferReader reader(&message);
    CodedInputStream in(&reader);
    StringOutputStream stream(&split.skeleton);
    CodedOutputStream others(&stream);
    bool malformed = false;
    while (const uint32_t tag = ReadTag(in, &malformed)) {
      const auto tensor =
          std::find(tensor_fields.begin(), tensor_fields.end(), TagField(tag));
      const auto field =
          std::find(bytes_fields.begin(), bytes_fields.end(), TagField(tag));
      const bool delimited = TagWireType(tag) == kLengthDelimited;
      uint32_t length = 0;
      if (delimited &&
          (tensor != tensor_fields.end() || field != bytes_fields.end())) {
        if (!ReadLength(in, &length)) return Malformed(in);
      }
      if (delimited && tensor != tensor_fields.end()) {
        absl::Status status =
            ReadTensor(in, length, &tensors[tensor - tensor_fields.begin()]);
        if (!status.ok()) return status;
      } else if (delimited && field != bytes_fields.end()) {
        bytes[field - bytes_fields.begin()] =
            Range{static_cast<size_t>(in.CurrentPosition()), length};
        if (!in.Skip(static_cast<int>(length))) return Malformed(in);
      } else if (!CopyField(in, tag, others)) {
        return Malformed(in);
      }
    }
    if (malformed || !in.ConsumedEntireMessage()) return Malformed(in);
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
  for (const std::optional<Range>& range : bytes) {
    split.data.push_back(range ? Slice(slices, *range) : Data());
  }
  return split;
}

void AppendBytes(int field, std::vector<grpc::Slice> data,
                 std::vector<grpc::Slice>* out) {
  size_t size = 0;
  for (const grpc::Slice& piece : data) size += piece.size();
  std::string header;
  {
    StringOutputStream stream(&header);
    CodedOutputStream coded(&stream);
    WriteLengthDelimitedHeader(field, size, coded);
  }
  out->emplace_back(header);
  for (grpc::Slice& piece : data) out->push_back(std::move(piece));
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
  }
  out->emplace_back(header);
  AppendBytes(1, std::move(data), out);
  out->emplace_back(fields);
}

void AppendMessage(const google::protobuf::MessageLite& message,
                   std::vector<grpc::Slice>* out) {
  out->emplace_back(message.SerializeAsString());
}

}  // namespace tensor_transform::tensor_slices
