#include "client/health.h"

#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/generic_call.h"
#include "client/tensor_client.h"
#include "google/protobuf/unknown_field_set.h"

namespace tensor_transform::client {
namespace {

constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";

// grpc.health.v1.HealthCheckResponse.ServingStatus
constexpr const char* kServingStatus[] = {"UNKNOWN", "SERVING", "NOT_SERVING",
                                          "SERVICE_UNKNOWN"};
constexpr uint64_t kServing = 1;

std::string StatusText(const grpc::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(
                          static_cast<absl::StatusCode>(status.error_code())),
                      ": ", status.error_message());
}

// HealthCheckResponse is one enum field, `status = 1`; reading it from the
// wire needs no generated code (the project does not ship health.proto).
uint64_t ServingStatus(const grpc::ByteBuffer& response) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  google::protobuf::UnknownFieldSet fields;
  if (!fields.ParseFromString(bytes)) return 0;
  uint64_t status = 0;  // proto3 default: UNKNOWN
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField& field = fields.field(i);
    if (field.number() == 1 &&
        field.type() == google::protobuf::UnknownField::TYPE_VARINT) {
      status = field.varint();
    }
  }
  return status;
}

void SetTimeout(absl::Duration timeout, grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

HealthResult CheckDescribe(const std::shared_ptr<grpc::Channel>& channel,
                           absl::Duration timeout) {
  TensorClient client(channel);
  const auto described = client.Describe(timeout);
  if (!described.ok()) {
    return {false, absl::StrCat("Describe: ", described.status().ToString())};
  }
  return {true, "Describe: OK (the server has no health service)"};
}

}  // namespace

HealthResult CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         absl::Duration timeout) {
  grpc::GenericStub stub(channel);
  auto context = std::make_unique<grpc::ClientContext>();
  SetTimeout(timeout, context.get());
  // HealthCheckRequest{service: ""} encodes to no bytes at all.
  grpc::Slice empty("", 0);
  const grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  const grpc::Status status =
      UnaryByteCall(stub, std::move(context), kCheckMethod, request, &response);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return CheckDescribe(channel, timeout);
  }
  if (!status.ok()) {
    return {false, absl::StrCat("grpc.health.v1: ", StatusText(status))};
  }
  const uint64_t serving = ServingStatus(response);
  const char* name = serving < 4 ? kServingStatus[serving] : "UNRECOGNIZED";
  return {serving == kServing, absl::StrCat("grpc.health.v1: ", name)};
}

}  // namespace tensor_transform::client
