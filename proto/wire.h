// Conversions between the wire enums of tensor_transform.v1 and the core's.
//
//   absl::StatusOr<core::DType> dtype =
//       DTypeFromProto(request.tensor().dtype(), "tensor.dtype");
#ifndef TENSOR_TRANSFORM_PROTO_WIRE_H_
#define TENSOR_TRANSFORM_PROTO_WIRE_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "core/types.h"
#include "proto/tensor_transform.pb.h"

namespace tensor_transform::wire {

namespace v1 = ::tensor_transform::v1;

// Chunk size Describe recommends to streaming clients, and the clients'
// default: the fastest of 256 KiB .. 64 MiB in the chunk sweep of
// scripts/bench.sh (200 MB ApplyStream; README "Performance: the RPC
// path"). Smaller chunks pay per-message overhead, larger ones overlap less
// of the transfer with the compute and leave the cache.
inline constexpr int64_t kDefaultRecommendedChunkBytes = int64_t{1} << 20;

// InvalidArgument for DTYPE_UNSPECIFIED or a value this build does not know;
// the message names `field`.
absl::StatusOr<core::DType> DTypeFromProto(v1::DType dtype,
                                           absl::string_view field);
v1::DType DTypeToProto(core::DType dtype);

// nullopt for METHOD_UNSPECIFIED (the server's choice); InvalidArgument for a
// value this build does not know.
absl::StatusOr<std::optional<core::Method>> MethodFromProto(
    v1::Method method, absl::string_view field);
v1::Method MethodToProto(core::Method method);

}  // namespace tensor_transform::wire

#endif  // TENSOR_TRANSFORM_PROTO_WIRE_H_
