// How a call's operands travel when some of them lie in shared-memory
// regions its client registered (client/shared_memory.h): those as
// references, the others as bytes. TensorClient::CallInto and StartCallInto
// ask for the plan of every call.
//
//   absl::StatusOr<std::optional<SharedCallPlan>> plan =
//       PlanSharedCall(spec, buffers, registry);
//   // nullopt: nothing in a region, every operand travels as bytes
#ifndef TENSOR_TRANSFORM_CLIENT_SHARED_CALL_H_
#define TENSOR_TRANSFORM_CLIENT_SHARED_CALL_H_

#include <optional>

#include "absl/status/statusor.h"
#include "client/shared_memory_registry.h"
#include "client/tensor_client.h"
#include "proto/tensor_transform.pb.h"

namespace tensor_transform::client {

struct SharedCallPlan {
  // The RPC to send: ApplyInPlace on an input in a region would write into
  // that region, so unless the result belongs there (out is x) it is Apply.
  Rpc rpc = Rpc::kApply;
  // The operands sent as references; unset ones travel as bytes.
  std::optional<v1::SharedMemoryRef> x;
  std::optional<v1::SharedMemoryRef> upstream;
  std::optional<v1::SharedMemoryRef> output;  // the request's output field
  // Whether the response carries the result's bytes (to copy into out);
  // false when the server writes them into a region (output, or x's own
  // bytes in place).
  bool result_inline = true;
};

// The plan of a call of `spec` on `buffers` (checked as CallInto does).
// nullopt when no operand lies in a region, or when the call streams
// (Mode::kStream) and an operand lies outside every region: the bytes
// stream then as before. Mode::kSharedMemory needs every operand in a
// region: InvalidArgument naming the one that is not.
absl::StatusOr<std::optional<SharedCallPlan>> PlanSharedCall(
    const CallSpec& spec, const CallBuffers& buffers,
    const SharedMemoryRegistry& registry);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_SHARED_CALL_H_
