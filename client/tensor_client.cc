#include "client/tensor_client.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/generic_call.h"
#include "client/shared_call.h"
#include "client/shared_memory_registry.h"
#include "proto/tensor_slices.h"
#include "proto/wire.h"

namespace tensor_transform::client {
namespace {

namespace v1 = ::tensor_transform::v1;

constexpr std::pair<Rpc, absl::string_view> kRpcNames[] = {
    {Rpc::kApply, "apply"},
    {Rpc::kApplyInPlace, "inplace"},
    {Rpc::kGradient, "gradient"}};
constexpr std::pair<Mode, absl::string_view> kModeNames[] = {
    {Mode::kUnary, "unary"},
    {Mode::kStream, "stream"},
    {Mode::kSharedMemory, "shm"}};

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
  return method ? wire::MethodToProto(*method) : v1::METHOD_UNSPECIFIED;
}

using Clock = std::chrono::steady_clock;

int64_t NanosSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() -
                                                              start)
      .count();
}

// "/tensor_transform.v1.TensorTransform/<name>"
std::string FullMethod(absl::string_view name) {
  return absl::StrCat("/", v1::TensorTransform::service_full_name(), "/", name);
}

const std::string& UnaryMethod(Rpc rpc) {
  static const auto* const kNames = new std::array<std::string, 3>{
      FullMethod("Apply"), FullMethod("ApplyInPlace"), FullMethod("Gradient")};
  return (*kNames)[static_cast<int>(rpc)];
}

const std::string& StreamMethod(Rpc rpc) {
  static const auto* const kNames = new std::array<std::string, 3>{
      FullMethod("ApplyStream"), FullMethod("ApplyInPlaceStream"),
      FullMethod("GradientStream")};
  return (*kNames)[static_cast<int>(rpc)];
}

void SetTimeout(absl::Duration timeout, grpc::ClientContext* context) {
  if (timeout != absl::InfiniteDuration()) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  }
}

absl::Span<const uint8_t> Bytes(const std::string& data) {
  return {reinterpret_cast<const uint8_t*>(data.data()), data.size()};
}

// `data` referenced, not copied: it must outlive the call.
grpc::Slice Referenced(absl::Span<const uint8_t> data) {
  return grpc::Slice(data.data(), data.size(), grpc::Slice::STATIC_SLICE);
}

// Appends Tensor field `field` with `spec`'s dtype and shape and `data`,
// referenced; or, when the data lies in shared memory (`ref`), sets
// `*in_rest`, a field of the request's other fields, to the tensor naming
// it: such a tensor has no data field at all.
void AddTensor(int field, const CallSpec& spec, absl::Span<const uint8_t> data,
               const std::optional<v1::SharedMemoryRef>& ref,
               v1::Tensor* in_rest, std::vector<grpc::Slice>* out) {
  v1::Tensor tensor;
  tensor.set_dtype(wire::DTypeToProto(spec.dtype));
  tensor.mutable_shape()->Add(spec.shape.begin(), spec.shape.end());
  if (ref) {
    *tensor.mutable_shared_memory() = *ref;
    *in_rest = std::move(tensor);
    return;
  }
  tensor_slices::AppendTensor(field, tensor, {Referenced(data)}, out);
}

// Completes a request's other fields (relu, the method, the output region
// when there is one) and appends them.
template <typename Request>
void AppendRest(const CallSpec& spec,
                const std::optional<v1::SharedMemoryRef>& output, Request* rest,
                std::vector<grpc::Slice>* out) {
  rest->mutable_transform()->mutable_relu();
  rest->set_method(ToProto(spec.method));
  if (output) *rest->mutable_output() = *output;
  tensor_slices::AppendMessage(*rest, out);
}

// The unary request of `spec`, its tensors' data referring to `buffers`, or
// to shared memory where `plan` says.
grpc::ByteBuffer UnaryRequest(const CallSpec& spec, const CallBuffers& buffers,
                              const SharedCallPlan& plan) {
  std::vector<grpc::Slice> slices;
  if (spec.rpc == Rpc::kGradient) {
    v1::GradientRequest rest;
    AddTensor(v1::GradientRequest::kXFieldNumber, spec, buffers.x, plan.x,
              plan.x ? rest.mutable_x() : nullptr, &slices);
    if (!buffers.upstream.empty()) {
      AddTensor(v1::GradientRequest::kUpstreamFieldNumber, spec,
                buffers.upstream, plan.upstream,
                plan.upstream ? rest.mutable_upstream() : nullptr, &slices);
    }
    AppendRest(spec, plan.output, &rest, &slices);
  } else {
    v1::ApplyRequest rest;
    AddTensor(v1::ApplyRequest::kTensorFieldNumber, spec, buffers.x, plan.x,
              plan.x ? rest.mutable_tensor() : nullptr, &slices);
    AppendRest(spec, plan.output, &rest, &slices);
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

// Copies a received tensor's data to `out`, which holds data.size bytes.
void Gather(const tensor_slices::Data& data, uint8_t* out) {
  for (const absl::Span<uint8_t> piece : data.spans) {
    std::memcpy(out, piece.data(), piece.size());
    out += piece.size();
  }
}

// The messages of one streaming call: the header, then the tensor (and the
// upstream gradient) in chunks of whole elements, referenced where they lie.
// Adds the time spent building each to *serialize_ns.
class StreamWriter {
 public:
  StreamWriter(const CallSpec& spec, const CallBuffers& buffers,
               int64_t* serialize_ns)
      : x_(buffers.x),
        upstream_(buffers.upstream),
        serialize_ns_(serialize_ns) {
    const size_t item = core::ItemSize(spec.dtype);
    chunk_ = std::max<size_t>(
        item, static_cast<size_t>(spec.chunk_bytes) / item * item);
    v1::StreamHeader* header = header_.mutable_header();
    header->mutable_transform()->mutable_relu();
    header->set_method(ToProto(spec.method));
    header->set_dtype(wire::DTypeToProto(spec.dtype));
    header->mutable_shape()->Add(spec.shape.begin(), spec.shape.end());
    header->set_has_upstream(!upstream_.empty());
  }

  // Fills `out` with the next message; false when all have been sent.
  bool Next(grpc::ByteBuffer* out) {
    const Clock::time_point start = Clock::now();
    std::vector<grpc::Slice> slices;
    if (!header_sent_) {
      tensor_slices::AppendMessage(header_, &slices);
      header_sent_ = true;
    } else {
      if (offset_ == x_.size()) return false;
      const size_t n = std::min(chunk_, x_.size() - offset_);
      tensor_slices::AppendBytes(v1::StreamRequest::kDataFieldNumber,
                                 {Referenced(x_.subspan(offset_, n))}, &slices);
      if (!upstream_.empty()) {
        tensor_slices::AppendBytes(v1::StreamRequest::kUpstreamFieldNumber,
                                   {Referenced(upstream_.subspan(offset_, n))},
                                   &slices);
      }
      offset_ += n;
    }
    grpc::ByteBuffer message(slices.data(), slices.size());
    out->Swap(&message);
    *serialize_ns_ += NanosSince(start);
    return true;
  }

 private:
  absl::Span<const uint8_t> x_;
  absl::Span<const uint8_t> upstream_;
  int64_t* serialize_ns_;
  size_t chunk_ = 0;
  size_t offset_ = 0;
  bool header_sent_ = false;
  v1::StreamRequest header_;  // the first message
};

// Copies the responses' data into `out` in order, summing their compute
// times, and adds its own time to result->deserialize_ns. Stops the call on
// a response that does not parse or would overrun the request.
class StreamReader {
 public:
  StreamReader(absl::Span<uint8_t> out, CallResult* result)
      : out_(out), result_(result) {}

  bool Receive(grpc::ByteBuffer* in) {
    const Clock::time_point start = Clock::now();
    constexpr int kData[] = {v1::StreamResponse::kDataFieldNumber};
    absl::StatusOr<tensor_slices::SplitMessage> split =
        tensor_slices::Split(*in, {}, kData);
    v1::StreamResponse response;  // its fields but data
    if (!split.ok() || !response.ParseFromString(split->skeleton)) {
      error_ = absl::DataLossError("cannot parse a StreamResponse");
      return false;
    }
    const tensor_slices::Data& data = split->data[0];
    if (data.size > out_.size() - received_) {
      error_ = absl::DataLossError(
          absl::StrCat("stream returned ", received_ + data.size,
                       "+ bytes, but the request sent ", out_.size()));
      return false;
    }
    Gather(data, out_.data() + received_);
    received_ += data.size;
    result_->method = response.method();
    result_->server_compute_ns += response.server_compute_ns();
    result_->deserialize_ns += NanosSince(start);
    return true;
  }

  // The call's outcome given its gRPC status.
  absl::Status Finish(const grpc::Status& status) const {
    if (!error_.ok()) return error_;
    if (!status.ok()) return ToAbslStatus(status);
    if (received_ != out_.size()) {
      return absl::DataLossError(absl::StrCat("stream returned ", received_,
                                              " bytes, but the request sent ",
                                              out_.size()));
    }
    return absl::OkStatus();
  }

 private:
  absl::Span<uint8_t> out_;
  CallResult* result_;
  size_t received_ = 0;
  absl::Status error_;
};

// Copies a TransformResponse's tensor into `out`, which must be its size,
// sets the method and compute time, and adds the time spent to
// result->deserialize_ns.
absl::Status ReadUnaryResponse(grpc::ByteBuffer& reply, absl::Span<uint8_t> out,
                               CallResult* result) {
  const Clock::time_point start = Clock::now();
  constexpr int kTensor[] = {v1::TransformResponse::kTensorFieldNumber};
  absl::StatusOr<tensor_slices::SplitMessage> split =
      tensor_slices::Split(reply, kTensor);
  v1::TransformResponse response;
  if (!split.ok() || !response.ParseFromString(split->skeleton)) {
    return absl::DataLossError("cannot parse the TransformResponse");
  }
  const tensor_slices::Data& data = split->data[0];
  if (data.size != out.size()) {
    return absl::DataLossError(absl::StrCat("the response holds ", data.size,
                                            " bytes, but the request sent ",
                                            out.size()));
  }
  Gather(data, out.data());
  result->method = response.method();
  result->server_compute_ns = response.server_compute_ns();
  result->deserialize_ns += NanosSince(start);
  return absl::OkStatus();
}

// The error when `buffers` do not fit a call of `rpc`, else OK.
absl::Status CheckBuffers(Rpc rpc, const CallBuffers& buffers) {
  if (buffers.out.size() != buffers.x.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("out: ", buffers.out.size(), " bytes, but x has ",
                     buffers.x.size(), "; they must be equal"));
  }
  if (!buffers.upstream.empty() &&
      (rpc != Rpc::kGradient || buffers.upstream.size() != buffers.x.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "upstream: ", buffers.upstream.size(), " bytes for ", RpcName(rpc),
        ", but only gradient takes one, as many bytes as x (", buffers.x.size(),
        ")"));
  }
  return absl::OkStatus();
}

// The buffers of a call of `payload` into result->data, sized for it.
CallBuffers PayloadBuffers(const Payload& payload, CallResult* result) {
  result->data.resize(payload.x().size());
  return {
      Bytes(payload.x()),
      Bytes(payload.upstream()),
      {reinterpret_cast<uint8_t*>(result->data.data()), result->data.size()}};
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

std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target, int64_t max_message_bytes,
    std::shared_ptr<grpc::ChannelCredentials> credentials,
    grpc::ChannelArguments args) {
  const int limit = static_cast<int>(
      std::min<int64_t>(max_message_bytes, std::numeric_limits<int>::max()));
  args.SetMaxReceiveMessageSize(limit);
  args.SetMaxSendMessageSize(limit);
  // gRPC shares one connection among channels with equal arguments by
  // default; a pool per channel gives each channel a connection of its own.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Every call goes to the next ready address the target resolves to
  // ("ipv4:127.0.0.1:50051,127.0.0.1:50052", a DNS name with several records
  // such as a Kubernetes headless Service); gRPC's default, pick_first,
  // would send them all to the first.
  args.SetLoadBalancingPolicyName("round_robin");
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  return grpc::CreateCustomChannel(target, credentials, args);
}

absl::Status ToAbslStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

Payload::Payload(const CallSpec& spec, std::string x, std::string upstream)
    : spec_(spec),
      x_(std::move(x)),
      upstream_(spec.rpc == Rpc::kGradient ? std::move(upstream) : "") {}

void Payload::Retarget(std::optional<core::Method> method, Mode mode) {
  spec_.method = method;
  spec_.mode = mode;
}

grpc::ByteBuffer Payload::UnaryRequest() const {
  return client::UnaryRequest(spec_, {Bytes(x_), Bytes(upstream_), {}}, {});
}

TensorClient::TensorClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::TensorTransform::NewStub(channel)),
      generic_(channel),
      shared_memory_(
          std::make_shared<SharedMemoryRegistry>(std::move(channel))) {}

TensorClient::~TensorClient() { shared_memory_->Close(); }

absl::Status TensorClient::Call(const Payload& payload, CallResult* result,
                                const CallOptions& options) {
  return CallInto(payload.spec(), PayloadBuffers(payload, result), result,
                  options);
}

absl::Status TensorClient::CallInto(const CallSpec& spec,
                                    const CallBuffers& buffers,
                                    CallResult* result,
                                    const CallOptions& options) {
  std::optional<absl::Status> status;
  // Unused, and so needing no drain, when the call does not start.
  grpc::CompletionQueue cq;
  const absl::Status started =
      StartCallInto(spec, buffers, result, options, &cq,
                    [&status](absl::Status s) { status = std::move(s); });
  if (!started.ok()) return started;
  DriveUntilFinished(cq, [&status] { return status.has_value(); });
  return *status;
}

void TensorClient::StartCall(const Payload& payload, CallResult* result,
                             const CallOptions& options,
                             grpc::CompletionQueue* cq, CallDone done) {
  // The payload's own buffers lie in no region: only a payload of mode shm
  // is refused, and then `done` runs at once.
  auto shared_done = std::make_shared<CallDone>(std::move(done));
  absl::Status started = StartCallInto(
      payload.spec(), PayloadBuffers(payload, result), result, options, cq,
      [shared_done](absl::Status s) { (*shared_done)(std::move(s)); });
  if (!started.ok()) (*shared_done)(std::move(started));
}

absl::Status TensorClient::StartCallInto(
    const CallSpec& spec, const CallBuffers& buffers, CallResult* result,
    const CallOptions& options, grpc::CompletionQueue* cq, CallDone done) {
  absl::Status checked = CheckBuffers(spec.rpc, buffers);
  if (!checked.ok()) return checked;
  absl::StatusOr<std::optional<SharedCallPlan>> plan =
      PlanSharedCall(spec, buffers, *shared_memory_);
  if (!plan.ok()) return plan.status();
  auto context = std::make_unique<grpc::ClientContext>();
  SetTimeout(options.timeout, context.get());
  result->serialize_ns = 0;
  result->deserialize_ns = 0;
  result->server_compute_ns = 0;
  if (!*plan && spec.mode == Mode::kStream) {
    StartStream(spec, buffers, result, std::move(context), cq, std::move(done));
    return absl::OkStatus();
  }
  SharedCallPlan inline_plan;  // every operand as bytes
  inline_plan.rpc = spec.rpc;
  const SharedCallPlan shared = plan->value_or(inline_plan);
  const Clock::time_point start = Clock::now();
  const grpc::ByteBuffer request = UnaryRequest(spec, buffers, shared);
  result->serialize_ns = NanosSince(start);
  StartUnary(shared.rpc, request,
             shared.result_inline ? buffers.out : absl::Span<uint8_t>(), result,
             std::move(context), cq, std::move(done));
  return absl::OkStatus();
}

void TensorClient::StartUnary(Rpc rpc, const grpc::ByteBuffer& request,
                              absl::Span<uint8_t> out, CallResult* result,
                              std::unique_ptr<grpc::ClientContext> context,
                              grpc::CompletionQueue* cq, CallDone done) {
  StartUnaryByteCall(
      generic_, std::move(context), UnaryMethod(rpc), request, cq,
      [out, result, done = std::move(done)](const grpc::Status& status,
                                            grpc::ByteBuffer* reply) mutable {
        done(status.ok() ? ReadUnaryResponse(*reply, out, result)
                         : ToAbslStatus(status));
      });
}

void TensorClient::StartStream(const CallSpec& spec, const CallBuffers& buffers,
                               CallResult* result,
                               std::unique_ptr<grpc::ClientContext> context,
                               grpc::CompletionQueue* cq, CallDone done) {
  struct Sides {
    Sides(const CallSpec& spec, const CallBuffers& buffers, CallResult* result)
        : writer(spec, buffers, &result->serialize_ns),
          reader(buffers.out, result) {}
    StreamWriter writer;
    StreamReader reader;
  };
  auto sides = std::make_unique<Sides>(spec, buffers, result);
  StreamCallbacks callbacks;
  callbacks.next_request = [w = &sides->writer](grpc::ByteBuffer* out) {
    return w->Next(out);
  };
  callbacks.on_response = [r = &sides->reader](grpc::ByteBuffer* in) {
    return r->Receive(in);
  };
  callbacks.done = [sides = std::move(sides), done = std::move(done)](
                       const grpc::Status& status) mutable {
    done(sides->reader.Finish(status));
  };
  StartStreamByteCall(generic_, std::move(context), StreamMethod(spec.rpc), cq,
                      std::move(callbacks));
}

absl::StatusOr<v1::DescribeResponse> TensorClient::Describe(
    absl::Duration timeout) {
  grpc::ClientContext context;
  SetTimeout(timeout, &context);
  v1::DescribeResponse response;
  const grpc::Status status =
      stub_->Describe(&context, v1::DescribeRequest(), &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

}  // namespace tensor_transform::client
