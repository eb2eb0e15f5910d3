// libFuzzer target: the unary request path of the server on any bytes. They
// are split as the server splits them (proto/tensor_slices.h: small fields
// parsed, tensor data left in the slices), and the split must agree with
// protobuf's own parser: both refuse, or both give the same request. Then
// whole-request validation (server/rpc/validation.h): whatever it accepts must
// be self-consistent (dtype known, shape within limits, data exactly
// elements x itemsize) and computable: the core kernel accepts it and
// matches the scalar reference. Whatever it refuses is INVALID_ARGUMENT with
// a message.
//
// Input: byte 0 picks the request type (bit 0: gradient), byte 1 where the
// message is cut into two slices; the rest is the serialized request.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/reference.h"
#include "core/relu.h"
#include "core/types.h"
#include "proto/tensor_slices.h"
#include "proto/tensor_transform.pb.h"
#include "proto/wire.h"
#include "server/rpc/validation.h"
#include "tests/fuzz/fuzz_check.h"

namespace tensor_transform::server {
namespace {

// Kernels are only run on arrays up to this size, to keep the fuzzer fast.
constexpr size_t kMaxComputedBytes = 1 << 16;

void CheckRefusal(const absl::Status& status) {
  TT_FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
                "refusals are INVALID_ARGUMENT");
  TT_FUZZ_CHECK(!status.message().empty(), "refusals say why");
}

void CheckTensor(const v1::Tensor& tensor, const TensorSpec& spec) {
  TT_FUZZ_CHECK(tensor.shape_size() <= kMaxRank, "rank within the limit");
  // A zero dimension empties the tensor whatever the others.
  const bool empty = std::find(tensor.shape().begin(), tensor.shape().end(),
                               0) != tensor.shape().end();
  int64_t elements = empty ? 0 : 1;
  for (int64_t dim : tensor.shape()) {
    TT_FUZZ_CHECK(dim >= 0, "dimensions are not negative");
    TT_FUZZ_CHECK(empty || !__builtin_mul_overflow(elements, dim, &elements),
                  "the element count fits int64");
  }
  TT_FUZZ_CHECK(spec.elements == elements, "elements = product of shape");
  TT_FUZZ_CHECK(
      spec.bytes == elements * static_cast<int64_t>(core::ItemSize(spec.dtype)),
      "bytes = elements x itemsize");
  TT_FUZZ_CHECK(static_cast<int64_t>(tensor.data().size()) == spec.bytes,
                "data holds exactly the announced bytes");
}

// An accepted request is computable: the kernel takes it and agrees with the
// scalar reference, bit for bit.
void CheckComputes(core::Method method, core::DType dtype,
                   const std::string& data) {
  if (data.size() > kMaxComputedBytes) return;
  // 8-byte aligned copies, never empty (an empty array still has a buffer).
  std::vector<uint64_t> in(data.size() / 8 + 1), out(in.size()),
      expected(in.size());
  if (!data.empty()) std::memcpy(in.data(), data.data(), data.size());
  const auto* x = reinterpret_cast<const uint8_t*>(in.data());
  auto* y = reinterpret_cast<uint8_t*>(out.data());
  const absl::Status status =
      core::Relu(method, dtype, absl::MakeConstSpan(x, data.size()),
                 absl::MakeSpan(y, data.size()));
  TT_FUZZ_CHECK(status.ok(), "the kernel accepts what validation accepted");
  core::ReferenceRelu(dtype, x, reinterpret_cast<uint8_t*>(expected.data()),
                      data.size() / core::ItemSize(dtype));
  TT_FUZZ_CHECK(out == expected, "the kernel matches the reference");
}

// The Tensor field `number` of `request`; null when it is not set.
v1::Tensor* TensorField(google::protobuf::Message* request, int number) {
  const google::protobuf::FieldDescriptor* field =
      request->GetDescriptor()->FindFieldByNumber(number);
  const google::protobuf::Reflection* reflection = request->GetReflection();
  if (!reflection->HasField(*request, field)) return nullptr;
  return static_cast<v1::Tensor*>(reflection->MutableMessage(request, field));
}

std::string Gather(const tensor_slices::Data& data) {
  std::string bytes;
  for (const grpc::Slice& piece : data.pieces) {
    bytes.append(reinterpret_cast<const char*>(piece.begin()), piece.size());
  }
  TT_FUZZ_CHECK(bytes.size() == data.size, "the pieces hold the data's size");
  return bytes;
}

// Splits `message`, held in two slices cut at `cut`, as the server does
// (the data of its Tensor fields `tensor_fields` and of its bytes fields
// `bytes_fields` left in the slices) and checks the result against
// protobuf's parser. True, with the request in *request (data included),
// when both accept it.
template <typename Request>
bool SplitAgrees(std::initializer_list<int> tensor_fields,
                 std::initializer_list<int> bytes_fields,
                 const std::string& message, size_t cut, Request* request) {
  const bool parses = request->ParseFromString(message);
  const grpc::Slice halves[] = {grpc::Slice(message.substr(0, cut)),
                                grpc::Slice(message.substr(cut))};
  grpc::ByteBuffer buffer(halves, 2);
  absl::StatusOr<tensor_slices::SplitMessage> split =
      tensor_slices::Split(buffer, tensor_fields, bytes_fields);
  Request small;
  const bool splits = split.ok() && small.ParseFromString(split->skeleton);
  TT_FUZZ_CHECK(splits == parses, "split and protobuf agree on validity");
  if (!parses) return false;
  TT_FUZZ_CHECK(
      split->data.size() == tensor_fields.size() + bytes_fields.size(),
      "data per field");
  Request without_data = *request;
  size_t i = 0;
  for (int number : tensor_fields) {
    v1::Tensor* tensor = TensorField(&without_data, number);
    TT_FUZZ_CHECK(Gather(split->data[i++]) == (tensor ? tensor->data() : ""),
                  "split data equals the parsed data");
    if (tensor) tensor->clear_data();
  }
  const google::protobuf::Reflection* reflection = without_data.GetReflection();
  for (int number : bytes_fields) {
    const google::protobuf::FieldDescriptor* field =
        without_data.GetDescriptor()->FindFieldByNumber(number);
    TT_FUZZ_CHECK(
        Gather(split->data[i++]) == reflection->GetString(without_data, field),
        "split bytes equal the parsed bytes");
    reflection->ClearField(&without_data, field);
  }
  TT_FUZZ_CHECK(small.SerializeAsString() == without_data.SerializeAsString(),
                "split small fields equal the parsed ones");
  return true;
}

void FuzzApply(const v1::ApplyRequest& request) {
  const absl::StatusOr<ApplySpec> spec =
      ValidateApplyRequest(request, request.tensor().data().size());
  if (!spec.ok()) return CheckRefusal(spec.status());
  CheckTensor(request.tensor(), spec->tensor);
  TT_FUZZ_CHECK(request.method() == v1::METHOD_UNSPECIFIED ||
                    wire::MethodToProto(spec->method) == request.method(),
                "a named method is the one used");
  CheckComputes(spec->method, spec->tensor.dtype, request.tensor().data());
}

void FuzzGradient(const v1::GradientRequest& request) {
  const absl::StatusOr<GradientSpec> spec = ValidateGradientRequest(
      request, request.x().data().size(), request.upstream().data().size());
  if (!spec.ok()) return CheckRefusal(spec.status());
  CheckTensor(request.x(), spec->x);
  TT_FUZZ_CHECK(spec->method == kGradientMethod, "gradient by multiply only");
  TT_FUZZ_CHECK(spec->has_upstream == request.has_upstream(),
                "upstream used exactly when given");
  if (spec->has_upstream) {
    TT_FUZZ_CHECK(
        request.upstream().data().size() == request.x().data().size() &&
            request.upstream().dtype() == request.x().dtype(),
        "upstream matches x in dtype and size");
  }
}

}  // namespace
}  // namespace tensor_transform::server

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  grpc_init();  // grpc::Slice and grpc::ByteBuffer need the library
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ts = tensor_transform::server;
  if (size < 2) return 0;
  const std::string message(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t cut = std::min<size_t>(data[1], message.size());
  if (data[0] & 2) {
    // A stream chunk: its data and upstream are bytes fields.
    ts::v1::StreamRequest request;
    ts::SplitAgrees({},
                    {ts::v1::StreamRequest::kDataFieldNumber,
                     ts::v1::StreamRequest::kUpstreamFieldNumber},
                    message, cut, &request);
  } else if (data[0] & 1) {
    ts::v1::GradientRequest request;
    if (ts::SplitAgrees({ts::v1::GradientRequest::kXFieldNumber,
                         ts::v1::GradientRequest::kUpstreamFieldNumber},
                        {}, message, cut, &request)) {
      ts::FuzzGradient(request);
    }
  } else {
    ts::v1::ApplyRequest request;
    if (ts::SplitAgrees({ts::v1::ApplyRequest::kTensorFieldNumber}, {}, message,
                        cut, &request)) {
      ts::FuzzApply(request);
    }
  }
  return 0;
}
