#include "tests/server/test_support.h"

#include <algorithm>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/reference.h"
#include "core/types.h"
#include "proto/wire.h"

namespace tensor_transform::server::test_support {
namespace {

core::DType CoreDType(v1::DType dtype) {
  return wire::DTypeFromProto(dtype, "test dtype").value();
}

const uint8_t* Data(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::unique_ptr<grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>>
OpenStream(v1::TensorTransform::Stub& stub, StreamRpc rpc,
           grpc::ClientContext* context) {
  switch (rpc) {
    case StreamRpc::kApply:
      return stub.ApplyStream(context);
    case StreamRpc::kApplyInPlace:
      return stub.ApplyInPlaceStream(context);
    case StreamRpc::kGradient:
      return stub.GradientStream(context);
  }
  return nullptr;
}

}  // namespace

bool IsReclaimedConnection(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return false;
  const std::string& message = status.error_message();
  return message.find("GOAWAY") != std::string::npos ||
         message.find("Connection reset") != std::string::npos ||
         message.find("failed to connect") != std::string::npos;
}

std::vector<v1::DType> AllDTypes() {
  std::vector<v1::DType> dtypes;
  for (core::DType dtype : core::kAllDTypes) {
    dtypes.push_back(wire::DTypeToProto(dtype));
  }
  return dtypes;
}

std::vector<v1::Method> AllMethods() {
  std::vector<v1::Method> methods;
  for (core::Method method : core::kAllMethods) {
    methods.push_back(wire::MethodToProto(method));
  }
  return methods;
}

std::string RandomBytes(size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string out(bytes, '\0');
  for (char& c : out) c = static_cast<char>(byte(rng));
  return out;
}

size_t ItemSize(v1::DType dtype) { return core::ItemSize(CoreDType(dtype)); }

v1::Tensor RandomTensor(v1::DType dtype, const std::vector<int64_t>& shape,
                        uint32_t seed) {
  int64_t elements = 1;
  for (int64_t dim : shape) elements *= dim;
  v1::Tensor tensor;
  tensor.set_dtype(dtype);
  tensor.mutable_shape()->Add(shape.begin(), shape.end());
  tensor.set_data(RandomBytes(elements * ItemSize(dtype), seed));
  return tensor;
}

v1::Transform UnknownTransformCase() {
  v1::Transform transform;
  // Field 2, length-delimited, empty: an empty message in case 2.
  EXPECT_TRUE(transform.ParseFromString(std::string("\x12\x00", 2)));
  return transform;
}

v1::Transform ReluWithUnknownParameter() {
  v1::Transform transform;
  // relu (field 1) holding varint field 1 = 1.
  EXPECT_TRUE(transform.ParseFromString(std::string("\x0a\x02\x08\x01", 4)));
  return transform;
}

std::string ReferenceRelu(v1::DType dtype, const std::string& x) {
  std::string out(x.size(), '\0');
  core::ReferenceRelu(CoreDType(dtype), Data(x),
                      reinterpret_cast<uint8_t*>(out.data()),
                      x.size() / ItemSize(dtype));
  return out;
}

std::string ReferenceGradient(v1::DType dtype, const std::string& x,
                              const std::string* upstream) {
  std::string out(x.size(), '\0');
  core::ReferenceGradient(
      CoreDType(dtype), Data(x), upstream ? Data(*upstream) : nullptr,
      reinterpret_cast<uint8_t*>(out.data()), x.size() / ItemSize(dtype));
  return out;
}

::testing::AssertionResult SameBytes(const std::string& actual,
                                     const std::string& expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << actual.size() << " bytes, expected " << expected.size();
  }
  const auto diff =
      std::mismatch(actual.begin(), actual.end(), expected.begin());
  return ::testing::AssertionFailure()
         << "first difference at byte " << (diff.first - actual.begin()) << ": "
         << int{static_cast<uint8_t>(*diff.first)} << ", expected "
         << int{static_cast<uint8_t>(*diff.second)};
}

void ServerTest::StartWithCap(int64_t max_message_bytes) {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.max_message_bytes = max_message_bytes;
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);  // the server's cap is under test
  args.SetMaxSendMessageSize(-1);
  channel_ =
      grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                grpc::InsecureChannelCredentials(), args);
  stub_ = v1::TensorTransform::NewStub(channel_);
}

std::string StreamResult::Data() const {
  std::string data;
  for (const v1::StreamResponse& response : responses) {
    data += response.data();
  }
  return data;
}

StreamResult RunStream(v1::TensorTransform::Stub& stub, StreamRpc rpc,
                       const std::vector<v1::StreamRequest>& messages) {
  grpc::ClientContext context;
  auto stream = OpenStream(stub, rpc, &context);
  StreamResult result;
  std::thread reader([&] {
    v1::StreamResponse response;
    while (stream->Read(&response)) result.responses.push_back(response);
  });
  for (const v1::StreamRequest& message : messages) {
    if (!stream->Write(message)) break;  // the server ended the call
  }
  stream->WritesDone();
  reader.join();
  result.status = stream->Finish();
  return result;
}

v1::StreamRequest HeaderMessage(v1::DType dtype,
                                const std::vector<int64_t>& shape,
                                v1::Method method, bool has_upstream) {
  v1::StreamRequest message;
  v1::StreamHeader* header = message.mutable_header();
  header->set_dtype(dtype);
  header->mutable_shape()->Add(shape.begin(), shape.end());
  header->set_method(method);
  header->set_has_upstream(has_upstream);
  return message;
}

std::vector<v1::StreamRequest> StreamMessages(const v1::StreamRequest& header,
                                              const std::string& data,
                                              const std::string& upstream,
                                              size_t chunk_bytes) {
  std::vector<v1::StreamRequest> messages = {header};
  for (size_t offset = 0; offset < data.size(); offset += chunk_bytes) {
    v1::StreamRequest& chunk = messages.emplace_back();
    chunk.set_data(data.substr(offset, chunk_bytes));
    if (!upstream.empty())
      chunk.set_upstream(upstream.substr(offset, chunk_bytes));
  }
  return messages;
}

}  // namespace tensor_transform::server::test_support
