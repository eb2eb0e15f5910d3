#include "tests/server/raw_call.h"

#include <utility>

#include "google/protobuf/unknown_field_set.h"

namespace tensor_transform::server::test_support {
namespace {

void* Tag(int n) { return reinterpret_cast<void*>(static_cast<intptr_t>(n)); }

std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// Calls `visit` with every field numbered `number` of `message`.
template <typename Visit>
void ForEachField(const std::string& message, int number, Visit&& visit) {
  google::protobuf::UnknownFieldSet fields;
  fields.ParseFromString(message);
  for (int i = 0; i < fields.field_count(); ++i) {
    if (fields.field(i).number() == number) visit(fields.field(i));
  }
}

}  // namespace

RawCall::RawCall(const std::shared_ptr<grpc::Channel>& channel,
                 const std::string& method, absl::Duration step_timeout)
    : step_timeout_(step_timeout), stub_(channel) {
  call_ = stub_.PrepareCall(&context_, method, &cq_);
  call_->StartCall(Tag(1));
  Await(Tag(1));
}

RawCall::~RawCall() {
  if (!finished_) {
    context_.TryCancel();
    Finish();
  }
  cq_.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq_.Next(&tag, &ok)) {
  }
}

bool RawCall::Await(void* tag) {
  void* got = nullptr;
  bool ok = false;
  while (true) {
    const auto status = cq_.AsyncNext(
        &got, &ok, absl::ToChronoTime(absl::Now() + step_timeout_));
    if (status != grpc::CompletionQueue::GOT_EVENT) {
      // Out of time: end the call so that the pending step completes.
      context_.TryCancel();
      continue;
    }
    if (got == tag) return ok;
  }
}

bool RawCall::Write(const std::string& message) {
  grpc::Slice slice(message);
  call_->Write(grpc::ByteBuffer(&slice, 1), Tag(2));
  return Await(Tag(2));
}

bool RawCall::WritesDone() {
  call_->WritesDone(Tag(3));
  return Await(Tag(3));
}

std::optional<std::string> RawCall::Read() {
  grpc::ByteBuffer buffer;
  call_->Read(&buffer, Tag(4));
  if (!Await(Tag(4))) return std::nullopt;
  return ToString(buffer);
}

grpc::Status RawCall::Finish() {
  grpc::Status status;
  call_->Finish(&status, Tag(5));
  Await(Tag(5));
  finished_ = true;
  return status;
}

grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel,
                      const std::string& method, const std::string& request,
                      std::string* response) {
  RawCall call(channel, method);
  call.Write(request);
  call.WritesDone();
  std::optional<std::string> reply = call.Read();
  grpc::Status status = call.Finish();
  if (status.ok() && reply) *response = *std::move(reply);
  return status;
}

std::string BytesField(int number, const std::string& value) {
  google::protobuf::UnknownFieldSet fields;
  fields.AddLengthDelimited(number, value);
  std::string out;
  fields.SerializeToString(&out);
  return out;
}

std::optional<uint64_t> VarintField(const std::string& message, int number) {
  std::optional<uint64_t> value;
  ForEachField(message, number, [&](const google::protobuf::UnknownField& f) {
    if (f.type() == google::protobuf::UnknownField::TYPE_VARINT) {
      value = f.varint();
    }
  });
  return value;
}

std::vector<std::string> BytesFields(const std::string& message, int number) {
  std::vector<std::string> values;
  ForEachField(message, number, [&](const google::protobuf::UnknownField& f) {
    if (f.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      values.push_back(f.length_delimited());
    }
  });
  return values;
}

}  // namespace tensor_transform::server::test_support
