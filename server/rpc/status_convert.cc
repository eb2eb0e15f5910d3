#include "server/rpc/status_convert.h"

#include <string>

namespace tensor_transform::server {
namespace {

// The conversion below is a cast, which is only correct while both libraries
// number the canonical codes identically. Checked here, code by code.
#define TT_SAME_CODE(absl_code, grpc_code)                         \
  static_assert(static_cast<int>(absl::StatusCode::absl_code) ==   \
                    static_cast<int>(grpc::StatusCode::grpc_code), \
                #absl_code " differs between absl and gRPC")

TT_SAME_CODE(kOk, OK);
TT_SAME_CODE(kCancelled, CANCELLED);
TT_SAME_CODE(kUnknown, UNKNOWN);
TT_SAME_CODE(kInvalidArgument, INVALID_ARGUMENT);
TT_SAME_CODE(kDeadlineExceeded, DEADLINE_EXCEEDED);
TT_SAME_CODE(kNotFound, NOT_FOUND);
TT_SAME_CODE(kAlreadyExists, ALREADY_EXISTS);
TT_SAME_CODE(kPermissionDenied, PERMISSION_DENIED);
TT_SAME_CODE(kResourceExhausted, RESOURCE_EXHAUSTED);
TT_SAME_CODE(kFailedPrecondition, FAILED_PRECONDITION);
TT_SAME_CODE(kAborted, ABORTED);
TT_SAME_CODE(kOutOfRange, OUT_OF_RANGE);
TT_SAME_CODE(kUnimplemented, UNIMPLEMENTED);
TT_SAME_CODE(kInternal, INTERNAL);
TT_SAME_CODE(kUnavailable, UNAVAILABLE);
TT_SAME_CODE(kDataLoss, DATA_LOSS);
TT_SAME_CODE(kUnauthenticated, UNAUTHENTICATED);

#undef TT_SAME_CODE

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

}  // namespace tensor_transform::server
