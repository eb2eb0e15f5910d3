#include "proto/tensor_slices.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <utility>

#include "absl/functional/function_ref.h"
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

// The next tag, or 0 at the end of the input or of the current limit, or
// when the tag is one protobuf's parser refuses (sets *malformed): a varint
// longer than 5 bytes (CodedInputStream reads up to 10 and drops the high
// bits) or field number 0.
uint32_t ReadTag(CodedInputStream& in, bool* malformed) {
  const int start = in.CurrentPosition();
  const uint32_t tag = in.ReadTag();
  *malformed = tag != 0 && (in.CurrentPosition() - start > 5 ||
                            WireFormatLite::GetTagFieldNumber(tag) == 0);
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
  switch (WireFormatLite::GetTagWireType(tag)) {
    case WireFormatLite::WIRETYPE_VARINT: {
      uint64_t value;
      if (!in.ReadVarint64(&value)) return false;
      out.WriteVarint64(value);
      return true;
    }
    case WireFormatLite::WIRETYPE_FIXED64: {
      uint64_t value;
      if (!in.ReadLittleEndian64(&value)) return false;
      out.WriteLittleEndian64(value);
      return true;
    }
    case WireFormatLite::WIRETYPE_FIXED32: {
      uint32_t value;
      if (!in.ReadLittleEndian32(&value)) return false;
      out.WriteLittleEndian32(value);
      return true;
    }
    case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
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
    case WireFormatLite::WIRETYPE_START_GROUP: {
      if (depth >= kMaxDepth) return false;
      const uint32_t end =
          WireFormatLite::MakeTag(WireFormatLite::GetTagFieldNumber(tag),
                                  WireFormatLite::WIRETYPE_END_GROUP);
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
  out.WriteTag(WireFormatLite::MakeTag(
      field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  out.WriteVarint64(length);
}

// Reads the top-level fields of `message`. Each length-delimited field whose
// number is fields[i] goes to take(i, length, in) with its length read and
// its body next in `in`; every other field is copied to `skeleton`.
absl::Status ScanFields(
    grpc::ByteBuffer& message, absl::Span<const int> fields,
    CodedOutputStream& skeleton,
    absl::FunctionRef<absl::Status(size_t, uint32_t, CodedInputStream&)> take) {
  grpc::ProtoBufferReader reader(&message);
  CodedInputStream in(&reader);
  bool malformed = false;
  while (const uint32_t tag = ReadTag(in, &malformed)) {
    const auto field = std::find(fields.begin(), fields.end(),
                                 WireFormatLite::GetTagFieldNumber(tag));
    if (field != fields.end() &&
        WireFormatLite::GetTagWireType(tag) ==
            WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length;
      if (!ReadLength(in, &length)) return Malformed(in);
      absl::Status status = take(field - fields.begin(), length, in);
      if (!status.ok()) return status;
    } else if (!CopyField(in, tag, skeleton)) {
      return Malformed(in);
    }
  }
  if (malformed || !in.ConsumedEntireMessage()) return Malformed(in);
  return absl::OkStatus();
}

// The data at `ranges` of `message` (empty Data where there is no range).
absl::StatusOr<std::vector<Data>> DataAt(
    grpc::ByteBuffer& message,
    const std::vector<std::optional<Range>>& ranges) {
  std::vector<grpc::Slice> slices;
  if (!message.Dump(&slices).ok()) {
    return absl::InternalError("cannot read the received message's slices");
  }
  std::vector<Data> data;
  for (const std::optional<Range>& range : ranges) {
    data.push_back(range ? Slice(slices, *range) : Data());
  }
  return data;
}

}  // namespace

absl::StatusOr<SplitMessage> Split(grpc::ByteBuffer& message,
                                   absl::Span<const int> tensor_fields) {
  std::vector<TensorField> tensors(tensor_fields.size());
  SplitMessage split;
  {
    StringOutputStream stream(&split.skeleton);
    CodedOutputStream others(&stream);
    absl::Status status =
        ScanFields(message, tensor_fields, others,
                   [&](size_t i, uint32_t length, CodedInputStream& in) {
                     return ReadTensor(in, length, &tensors[i]);
                   });
    if (!status.ok()) return status;
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (!tensors[i].present) continue;
      WriteLengthDelimitedHeader(tensor_fields[i], tensors[i].fields.size(),
                                 others);
      others.WriteString(tensors[i].fields);
    }
  }
  std::vector<std::optional<Range>> ranges;
  for (const TensorField& tensor : tensors) ranges.push_back(tensor.data);
  absl::StatusOr<std::vector<Data>> data = DataAt(message, ranges);
  if (!data.ok()) return data.status();
  split.data = *std::move(data);
  return split;
}

absl::StatusOr<SplitMessage> SplitBytes(grpc::ByteBuffer& message,
                                        absl::Span<const int> bytes_fields) {
  std::vector<std::optional<Range>> ranges(bytes_fields.size());
  SplitMessage split;
  {
    StringOutputStream stream(&split.skeleton);
    CodedOutputStream others(&stream);
    absl::Status status = ScanFields(
        message, bytes_fields, others,
        [&](size_t i, uint32_t length, CodedInputStream& in) {
          ranges[i] = Range{static_cast<size_t>(in.CurrentPosition()), length};
          return in.Skip(static_cast<int>(length)) ? absl::OkStatus()
                                                   : Malformed(in);
        });
    if (!status.ok()) return status;
  }
  absl::StatusOr<std::vector<Data>> data = DataAt(message, ranges);
  if (!data.ok()) return data.status();
  split.data = *std::move(data);
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

void AppendBytes(int field, grpc::Slice data, std::vector<grpc::Slice>* out) {
  std::string header;
  {
    StringOutputStream stream(&header);
    CodedOutputStream coded(&stream);
    WriteLengthDelimitedHeader(field, data.size(), coded);
  }
  out->emplace_back(header);
  out->push_back(std::move(data));
}

void AppendMessage(const google::protobuf::MessageLite& message,
                   std::vector<grpc::Slice>* out) {
  out->emplace_back(message.SerializeAsString());
}

}  // namespace tensor_transform::tensor_slices
