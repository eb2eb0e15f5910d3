// The transform RPCs of tensor_transform.v1.TensorTransform, found by their
// full method name ("/tensor_transform.v1.TensorTransform/Apply"): the one
// place that binds each RPC to what its handler does, so that a handler can
// never serve another RPC's name.
//
//   const TransformRpc* rpc = FindTransformRpc(context->method());
//   if (rpc == nullptr) ...  // UNIMPLEMENTED
//   if (rpc->stream) ...     // ApplyStream, ApplyInPlaceStream, ...
#ifndef TENSOR_TRANSFORM_SERVER_RPC_RPCS_H_
#define TENSOR_TRANSFORM_SERVER_RPC_RPCS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tensor_transform::server {

struct TransformRpc {
  absl::string_view name;  // as in the .proto: "ApplyInPlace"
  // Chunked bidirectional stream (StreamRequest / StreamResponse), or one
  // ApplyRequest / GradientRequest and one TransformResponse.
  bool stream;
  // The result overwrites the request's data (where that memory is the
  // server's own; see server/rpc/transform.h).
  bool in_place;
  // ReLU's gradient (GradientRequest, has_upstream) rather than ReLU.
  bool gradient;
};

// Every transform RPC, in the order of the .proto.
absl::Span<const TransformRpc> TransformRpcs();

// The RPC whose full method name is `path`; nullptr for any other path.
const TransformRpc* FindTransformRpc(absl::string_view path);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_RPC_RPCS_H_
