#include "client/tensor_client.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/wire.h"

namespace tensor_transform::client {
namespace {

namespace v1 = ::tensor_transform::v1;

constexpr std::pair<Rpc, absl::string_view> kRpcNames[] = {
    {Rpc::kApply, "apply"},
    {Rpc::kApplyInPlace, "inplace"},
    {Rpc::kGradient, "gradient"}};
constexpr std::pair<Mode, absl::string_view> kModeNames[] = {
    {Mode::kUnary, "unary"}, {Mode::kStream, "stream"}};

template <typename E, size_t N>
absl::string_view NameOf(const std::pair<E, absl::string_view> (&names)[N],
                         E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> ValueOf(const std::pair<E, absl::string_view> (&names)[N],
                         absl::string_view name) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  return std::nullopt;
}

v1::Method ToProto(std::optional<core::Method> method) {
  return method ? server::MethodToProto(*method) : v1::METHOD_UNSPECIFIED;
}

void FillTensor(const CallSpec& spec, std::string data, v1::Tensor* tensor) {
  tensor->set_dtype(server::DTypeToProto(spec.dtype));
  tensor->mutable_shape()->Add(spec.shape.begin(), spec.shape.end());
  *tensor->mutable_data() = std::move(data);
}

}  // namespace

absl::string_view RpcName(Rpc rpc) { return NameOf(kRpcNames, rpc); }
absl::string_view ModeName(Mode mode) { return NameOf(kModeNames, mode); }
std::optional<Rpc> ParseRpc(absl::string_view name) {
  return ValueOf(kRpcNames, name);
}
std::optional<Mode> ParseMode(absl::string_view name) {
  return ValueOf(kModeNames, name);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           int64_t max_message_bytes) {
  grpc::ChannelArguments args;
  const int limit = static_cast<int>(
      std::min<int64_t>(max_message_bytes, std::numeric_limits<int>::max()));
  args.SetMaxReceiveMessageSize(limit);
  args.SetMaxSendMessageSize(limit);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(),
                                   args);
}

absl::Status ToAbslStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

Payload::Payload(const CallSpec& spec, std::string x, std::string upstream)
    : spec_(spec) {
  const v1::Method method = ToProto(spec.method);
  if (spec.rpc == Rpc::kGradient) {
    FillTensor(spec, std::move(x), gradient_.mutable_x());
    if (!upstream.empty()) {
      FillTensor(spec, std::move(upstream), gradient_.mutable_upstream());
    }
    gradient_.mutable_transform()->mutable_relu();
    gradient_.set_method(method);
  } else {
    FillTensor(spec, std::move(x), apply_.mutable_tensor());
    apply_.mutable_transform()->mutable_relu();
    apply_.set_method(method);
  }
}

void Payload::Retarget(std::optional<core::Method> method, Mode mode) {
  spec_.method = method;
  spec_.mode = mode;
  apply_.set_method(ToProto(method));
  gradient_.set_method(ToProto(method));
}

const std::string& Payload::x() const {
  return spec_.rpc == Rpc::kGradient ? gradient_.x().data()
                                     : apply_.tensor().data();
}

const std::string& Payload::upstream() const {
  return gradient_.upstream().data();
}

TensorClient::TensorClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::TensorTransform::NewStub(std::move(channel))) {}

absl::Status TensorClient::Call(const Payload& payload, CallResult* result) {
  return payload.spec().mode == Mode::kUnary ? CallUnary(payload, result)
                                             : CallStream(payload, result);
}

absl::Status TensorClient::CallUnary(const Payload& payload,
                                     CallResult* result) {
  grpc::ClientContext context;
  v1::TransformResponse response;
  grpc::Status status;
  switch (payload.spec().rpc) {
    case Rpc::kApply:
      status = stub_->Apply(&context, payload.apply_request(), &response);
      break;
    case Rpc::kApplyInPlace:
      status =
          stub_->ApplyInPlace(&context, payload.apply_request(), &response);
      break;
    case Rpc::kGradient:
      status = stub_->Gradient(&context, payload.gradient_request(), &response);
      break;
  }
  if (!status.ok()) return ToAbslStatus(status);
  result->data.swap(*response.mutable_tensor()->mutable_data());
  result->method = response.method();
  result->server_compute_ns = response.server_compute_ns();
  return absl::OkStatus();
}

absl::Status TensorClient::CallStream(const Payload& payload,
                                      CallResult* result) {
  const CallSpec& spec = payload.spec();
  const std::string& x = payload.x();
  const std::string& upstream = payload.upstream();
  grpc::ClientContext context;
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>>
      stream;
  switch (spec.rpc) {
    case Rpc::kApply:
      stream = stub_->ApplyStream(&context);
      break;
    case Rpc::kApplyInPlace:
      stream = stub_->ApplyInPlaceStream(&context);
      break;
    case Rpc::kGradient:
      stream = stub_->GradientStream(&context);
      break;
  }

  // Responses are read on their own thread: the server answers each chunk as
  // it arrives, so reading only after writing would stall on flow control.
  result->data.resize(x.size());
  result->server_compute_ns = 0;
  size_t received = 0;
  bool overrun = false;
  std::thread reader([&] {
    v1::StreamResponse response;
    while (stream->Read(&response)) {
      const std::string& chunk = response.data();
      if (chunk.size() > x.size() - received) {
        overrun = true;
        context.TryCancel();
        break;
      }
      std::memcpy(result->data.data() + received, chunk.data(), chunk.size());
      received += chunk.size();
      result->method = response.method();
      result->server_compute_ns += response.server_compute_ns();
    }
  });

  v1::StreamRequest request;
  v1::StreamHeader* header = request.mutable_header();
  header->mutable_transform()->mutable_relu();
  header->set_method(ToProto(spec.method));
  header->set_dtype(server::DTypeToProto(spec.dtype));
  header->mutable_shape()->Add(spec.shape.begin(), spec.shape.end());
  header->set_has_upstream(!upstream.empty());
  bool writing = stream->Write(request);
  request.clear_header();
  const size_t item = core::ItemSize(spec.dtype);
  const size_t chunk = std::max<size_t>(
      item, static_cast<size_t>(spec.chunk_bytes) / item * item);
  for (size_t offset = 0; writing && offset < x.size(); offset += chunk) {
    const size_t n = std::min(chunk, x.size() - offset);
    request.set_data(x.data() + offset, n);
    if (!upstream.empty()) request.set_upstream(upstream.data() + offset, n);
    writing = stream->Write(request);
  }
  stream->WritesDone();
  reader.join();
  const grpc::Status status = stream->Finish();
  if (!status.ok()) return ToAbslStatus(status);
  if (overrun || received != x.size()) {
    return absl::DataLossError(
        absl::StrCat("stream returned ", received, overrun ? "+" : "",
                     " bytes, but the request sent ", x.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::DescribeResponse> TensorClient::Describe() {
  grpc::ClientContext context;
  v1::DescribeResponse response;
  const grpc::Status status =
      stub_->Describe(&context, v1::DescribeRequest(), &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

}  // namespace tensor_transform::client
