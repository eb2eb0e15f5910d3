#include "tests/server/soak_calls.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/server/raw_call.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server::test_support {
namespace {

using grpc::StatusCode;

// Refused unprocessed because the server is loaded: a caller retries later.
bool IsShed(const grpc::Status& status) {
  return status.error_code() == StatusCode::RESOURCE_EXHAUSTED ||
         IsReclaimedConnection(status);
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat("status ", status.error_code(), ": ",
                      status.error_message());
}

// OK calls are verified by `correct`; refusals judged against `rejection`
// (the exact code a malformed request must get; nullopt: none allowed).
SoakOutcome Judge(std::string rpc, const grpc::Status& status,
                  std::optional<StatusCode> rejection,
                  const std::function<bool()>& correct, int64_t bytes) {
  SoakOutcome outcome{std::move(rpc), Verdict::kUnexpected, "", bytes};
  if (IsShed(status)) {
    outcome.verdict = Verdict::kShed;
  } else if (rejection.has_value()) {
    if (status.error_code() == *rejection) outcome.verdict = Verdict::kRejected;
  } else if (status.ok()) {
    if (correct()) outcome.verdict = Verdict::kVerified;
  }
  if (outcome.verdict == Verdict::kUnexpected) {
    outcome.detail = status.ok() ? "OK, but the result differs from the "
                                   "reference"
                                 : Describe(status);
  }
  return outcome;
}

// Random bytes 8 at a time: hundreds of MB in a fraction of a second.
std::string FastRandomBytes(size_t bytes, std::mt19937_64& rng) {
  std::string out(bytes, '\0');
  size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    const uint64_t word = rng();
    std::memcpy(&out[i], &word, 8);
  }
  for (; i < bytes; ++i) out[i] = static_cast<char>(rng());
  return out;
}

enum class Rpc {
  kApply,
  kApplyInPlace,
  kGradient,
  kApplyStream,
  kApplyInPlaceStream,
  kGradientStream,
};
constexpr const char* kRpcNames[] = {
    "Apply",       "ApplyInPlace",       "Gradient",
    "ApplyStream", "ApplyInPlaceStream", "GradientStream"};

bool IsStream(Rpc rpc) { return rpc >= Rpc::kApplyStream; }
bool IsGradient(Rpc rpc) {
  return rpc == Rpc::kGradient || rpc == Rpc::kGradientStream;
}

// What a tensor call sends: everything but the RPC.
struct TensorInput {
  v1::DType dtype;
  v1::Method method;
  std::string x, upstream;  // upstream empty: none
  std::string Expected(bool gradient) const {
    if (!gradient) return ReferenceRelu(dtype, x);
    return ReferenceGradient(dtype, x, upstream.empty() ? nullptr : &upstream);
  }
};

grpc::Status CallUnary(v1::TensorTransform::Stub& stub, Rpc rpc,
                       const TensorInput& in, std::string* result) {
  const int64_t elements =
      static_cast<int64_t>(in.x.size() / ItemSize(in.dtype));
  v1::Tensor tensor;
  tensor.set_dtype(in.dtype);
  tensor.add_shape(elements);
  tensor.set_data(in.x);
  grpc::ClientContext context;
  v1::TransformResponse response;
  grpc::Status status;
  if (rpc == Rpc::kGradient) {
    v1::GradientRequest request;
    *request.mutable_x() = std::move(tensor);
    if (!in.upstream.empty()) {
      *request.mutable_upstream() = request.x();
      request.mutable_upstream()->set_data(in.upstream);
    }
    status = stub.Gradient(&context, request, &response);
  } else {
    v1::ApplyRequest request;
    *request.mutable_tensor() = std::move(tensor);
    request.set_method(in.method);
    status = rpc == Rpc::kApply
                 ? stub.Apply(&context, request, &response)
                 : stub.ApplyInPlace(&context, request, &response);
  }
  *result = std::move(*response.mutable_tensor()->mutable_data());
  return status;
}

StreamRpc ToStreamRpc(Rpc rpc) {
  return rpc == Rpc::kApplyStream          ? StreamRpc::kApply
         : rpc == Rpc::kApplyInPlaceStream ? StreamRpc::kApplyInPlace
                                           : StreamRpc::kGradient;
}

// Malformed unary request number `which` (of 5) carrying `x`.
SoakOutcome MalformedUnary(v1::TensorTransform::Stub& stub, int which,
                           const std::string& x) {
  v1::ApplyRequest apply;
  apply.mutable_tensor()->set_dtype(v1::FLOAT64);
  apply.mutable_tensor()->add_shape(static_cast<int64_t>(x.size() / 8));
  apply.mutable_tensor()->set_data(x);
  v1::TransformResponse response;
  grpc::ClientContext context;
  std::string name;
  grpc::Status status;
  if (which == 0) {
    name = "dtype unspecified";
    apply.mutable_tensor()->set_dtype(v1::DTYPE_UNSPECIFIED);
  } else if (which == 1) {
    name = "data one byte short";
    apply.mutable_tensor()->mutable_data()->pop_back();
  } else if (which == 2) {
    name = "negative dimension";
    apply.mutable_tensor()->add_shape(-1);
  } else if (which == 3) {
    name = "unknown transform";
    *apply.mutable_transform() = UnknownTransformCase();
  }
  if (which < 4) {
    status = which % 2 == 0 ? stub.Apply(&context, apply, &response)
                            : stub.ApplyInPlace(&context, apply, &response);
  } else {
    name = "gradient by abs";
    v1::GradientRequest request;
    *request.mutable_x() = apply.tensor();
    request.set_method(v1::ABS);
    status = stub.Gradient(&context, request, &response);
  }
  return Judge(absl::StrCat("malformed: ", name), status,
               StatusCode::INVALID_ARGUMENT, nullptr,
               static_cast<int64_t>(x.size()));
}

v1::StreamRequest Chunk(std::string data, std::string upstream = "") {
  v1::StreamRequest message;
  message.set_data(std::move(data));
  message.set_upstream(std::move(upstream));
  return message;
}

// Malformed stream number `which` (of 4) carrying `x`, float64.
SoakOutcome MalformedStream(v1::TensorTransform::Stub& stub, int which,
                            const std::string& x) {
  const int64_t n = static_cast<int64_t>(x.size() / 8);
  const v1::StreamRequest header = HeaderMessage(v1::FLOAT64, {n}, v1::ABS);
  std::string name;
  StatusCode code = StatusCode::INVALID_ARGUMENT;
  StreamResult result;
  if (which == 0) {
    name = "stream without header";
    result = RunStream(stub, StreamRpc::kApply, {Chunk(x)});
  } else if (which == 1) {
    name = "chunk of partial elements";
    result =
        RunStream(stub, StreamRpc::kApplyInPlace, {header, Chunk(x.substr(3))});
  } else if (which == 2) {
    name = "stream past its total";
    code = StatusCode::OUT_OF_RANGE;
    result = RunStream(stub, StreamRpc::kGradient,
                       {HeaderMessage(v1::FLOAT64, {n}, v1::MULTIPLY, true),
                        Chunk(x, x), Chunk(x, x)});
  } else {
    name = "stream ending early";
    result = RunStream(stub, StreamRpc::kApply,
                       {header, Chunk(x.substr(0, x.size() / 16 * 8))});
  }
  return Judge(absl::StrCat("malformed: ", name), result.status, code, nullptr,
               static_cast<int64_t>(x.size()));
}

}  // namespace

bool HugeGate::TryEnter() {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_ == 0) return false;
  --free_;
  return true;
}

void HugeGate::Leave() {
  std::lock_guard<std::mutex> lock(mu_);
  ++free_;
}

SoakClient::SoakClient(std::shared_ptr<grpc::Channel> channel, uint32_t seed,
                       const SoakSizes& sizes, HugeGate* gate)
    : channel_(std::move(channel)),
      stub_(v1::TensorTransform::NewStub(channel_)),
      rng_(seed),
      sizes_(sizes),
      gate_(gate) {}

SoakOutcome SoakClient::RunOne() {
  std::uniform_real_distribution<double> share(0, 1);
  const double pick = share(rng_);
  double bound = sizes_.malformed_share;
  if (pick < bound) return RunMalformed();
  bound += sizes_.ecosystem_share;
  if (pick < bound) return RunEcosystemCall();
  bound += sizes_.huge_share;
  if (pick < bound && gate_->TryEnter()) {
    SoakOutcome outcome = RunTensorCall(-1);
    gate_->Leave();
    return outcome;
  }
  return RunTensorCall(RandomSize());
}

// Log-uniform from 0 bytes to 32 MiB: mostly small, some large.
int64_t SoakClient::RandomSize() {
  std::uniform_real_distribution<double> log_size(0,
                                                  std::log(32.0 * (1 << 20)));
  return static_cast<int64_t>(std::exp(log_size(rng_))) - 1;
}

// `bytes` < 0: a huge call, of up to the huge size of its mode.
SoakOutcome SoakClient::RunTensorCall(int64_t bytes) {
  const Rpc rpc = static_cast<Rpc>(rng_() % 6);
  const std::vector<v1::DType> dtypes = AllDTypes();
  const std::vector<v1::Method> methods = AllMethods();
  TensorInput in{dtypes[rng_() % dtypes.size()], v1::METHOD_UNSPECIFIED, "",
                 ""};
  if (IsGradient(rpc)) {
    in.method = v1::MULTIPLY;
  } else if (rng_() % 5 != 0) {
    in.method = methods[rng_() % methods.size()];
  }
  if (bytes < 0) {
    const int64_t huge =
        IsStream(rpc) ? sizes_.huge_stream_bytes : sizes_.huge_unary_bytes;
    bytes = huge / 2 + static_cast<int64_t>(rng_() % (huge / 2));
  }
  const size_t itemsize = ItemSize(in.dtype);
  in.x = FastRandomBytes(bytes / itemsize * itemsize, rng_);
  if (IsGradient(rpc) && rng_() % 2 == 0) {
    in.upstream = FastRandomBytes(in.x.size(), rng_);
  }
  const int64_t sent = static_cast<int64_t>(in.x.size() + in.upstream.size());
  std::string result;
  grpc::Status status;
  if (IsStream(rpc)) {
    const StreamResult streamed = RunStream(
        *stub_, ToStreamRpc(rpc),
        StreamMessages(
            HeaderMessage(in.dtype,
                          {static_cast<int64_t>(in.x.size() / itemsize)},
                          in.method, !in.upstream.empty()),
            in.x, in.upstream, sizes_.chunk_bytes / itemsize * itemsize));
    status = streamed.status;
    result = streamed.Data();
  } else {
    status = CallUnary(*stub_, rpc, in, &result);
  }
  return Judge(
      kRpcNames[static_cast<int>(rpc)], status, std::nullopt,
      [&] { return result == in.Expected(IsGradient(rpc)); }, sent);
}

SoakOutcome SoakClient::RunMalformed() {
  const std::string x = FastRandomBytes(8 * (1 + rng_() % 4096), rng_);
  const int which = static_cast<int>(rng_() % 9);
  return which < 5 ? MalformedUnary(*stub_, which, x)
                   : MalformedStream(*stub_, which - 5, x);
}

SoakOutcome SoakClient::RunEcosystemCall() {
  if (rng_() % 2 == 0) {
    grpc::ClientContext context;
    v1::DescribeResponse response;
    const grpc::Status status =
        stub_->Describe(&context, v1::DescribeRequest(), &response);
    return Judge(
        "Describe", status, std::nullopt,
        [&] { return response.max_rank() == 32; }, 0);
  }
  std::string response;
  const grpc::Status status =
      RawUnary(channel_, "/grpc.health.v1.Health/Check", "", &response);
  return Judge(
      "Health/Check", status, std::nullopt,
      [&] { return VarintField(response, 1) == 1u; }, 0);
}

}  // namespace tensor_transform::server::test_support
