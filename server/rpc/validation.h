// Validation of whole requests at the RPC boundary, before the core sees any
// byte of them. Each check returns the most specific canonical code and a
// message naming the field, its value and the rule it breaks.
//
//   absl::StatusOr<ApplySpec> spec = ValidateApplyRequest(request, data_bytes);
//   if (!spec.ok()) return ToGrpcStatus(spec.status());
//   core::ReluInPlace(spec->method, spec->tensor.dtype, data);
#ifndef TENSOR_TRANSFORM_SERVER_RPC_VALIDATION_H_
#define TENSOR_TRANSFORM_SERVER_RPC_VALIDATION_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/types.h"
#include "proto/tensor_transform.pb.h"

namespace tensor_transform::server {

namespace v1 = ::tensor_transform::v1;

inline constexpr int kMaxRank = 32;

// The only method the gradient RPCs evaluate (and their default).
inline constexpr core::Method kGradientMethod = core::Method::kMultiply;

// A dtype and shape known to be consistent: elements * itemsize fits int64.
struct TensorSpec {
  core::DType dtype = core::DType::kFloat32;
  int64_t elements = 0;
  int64_t bytes = 0;
};

struct ApplySpec {
  TensorSpec tensor;
  core::Method method = core::Method::kMaximum;
};

struct GradientSpec {
  TensorSpec x;
  bool has_upstream = false;  // false: the upstream gradient is all ones
  core::Method method = kGradientMethod;
};

// dtype known and not UNSPECIFIED; rank <= kMaxRank; every dim >= 0; the
// element count and byte size fit int64. `field` prefixes the messages
// ("tensor" gives "tensor.dtype", "tensor.shape[1]"). InvalidArgument.
absl::StatusOr<TensorSpec> ValidateDTypeAndShape(
    v1::DType dtype, const google::protobuf::RepeatedField<int64_t>& shape,
    absl::string_view field);

// As above for tensor.dtype/tensor.shape, plus its data, `data_bytes` long,
// holding exactly elements * itemsize bytes, or, when tensor.shared_memory
// is set, no data and a reference of exactly that byte_size.
// InvalidArgument. The data arrives apart from the message
// (proto/tensor_slices.h), hence its size.
absl::StatusOr<TensorSpec> ValidateTensor(const v1::Tensor& tensor,
                                          size_t data_bytes,
                                          absl::string_view field);

// Unset (ReLU) or relu, with no fields this server does not know: a newer
// client asking for a newer transform is refused, not silently given ReLU.
// InvalidArgument.
absl::Status ValidateTransform(const v1::Transform& transform,
                               absl::string_view field);

// A known method; METHOD_UNSPECIFIED resolves to core::FastestMethod(dtype),
// the method measured fastest for that dtype on this machine.
absl::StatusOr<core::Method> ResolveApplyMethod(v1::Method method,
                                                core::DType dtype,
                                                absl::string_view field);

// METHOD_UNSPECIFIED or MULTIPLY, both giving kGradientMethod; any other
// value is InvalidArgument naming the supported one.
absl::StatusOr<core::Method> ResolveGradientMethod(v1::Method method,
                                                   absl::string_view field);

// A shared-memory reference to a tensor of `bytes` bytes: byte_size must
// equal them. InvalidArgument naming `field`.
absl::Status ValidateSharedMemoryRef(const v1::SharedMemoryRef& ref,
                                     int64_t bytes, absl::string_view field);

// Whole-request checks for the unary RPCs, given the sizes of their tensors'
// data (their data fields themselves are ignored), the output reference
// included. InvalidArgument.
absl::StatusOr<ApplySpec> ValidateApplyRequest(const v1::ApplyRequest& request,
                                               size_t data_bytes);
absl::StatusOr<GradientSpec> ValidateGradientRequest(
    const v1::GradientRequest& request, size_t x_data_bytes,
    size_t upstream_data_bytes);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_VALIDATION_H_
