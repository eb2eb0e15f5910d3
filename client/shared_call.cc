#include "client/shared_call.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client {
namespace {

absl::Status OutsideRegions(absl::string_view operand,
                            absl::Span<const uint8_t> bytes) {
  return absl::InvalidArgumentError(absl::StrCat(
      operand, ": ", bytes.size(), " bytes at 0x",
      absl::Hex(reinterpret_cast<uintptr_t>(bytes.data())),
      ", but mode shm needs every operand in a shared-memory region this "
      "client registered"));
}

}  // namespace

absl::StatusOr<std::optional<SharedCallPlan>> PlanSharedCall(
    const CallSpec& spec, const CallBuffers& buffers,
    const SharedMemoryRegistry& registry) {
  SharedCallPlan plan;
  plan.x = registry.Find(buffers.x);
  plan.upstream = registry.Find(buffers.upstream);
  const std::optional<v1::SharedMemoryRef> out = registry.Find(buffers.out);
  const bool upstream_placed = buffers.upstream.empty() || plan.upstream;
  if (spec.mode == Mode::kSharedMemory) {
    if (!plan.x) return OutsideRegions("x", buffers.x);
    if (!upstream_placed) return OutsideRegions("upstream", buffers.upstream);
    if (!out) return OutsideRegions("out", buffers.out);
  }
  const bool all = plan.x && upstream_placed && out;
  if ((!plan.x && !plan.upstream && !out) ||
      (spec.mode == Mode::kStream && !all)) {
    return std::nullopt;
  }
  const bool in_place = buffers.out.data() == buffers.x.data();
  plan.rpc = spec.rpc;
  if (spec.rpc == Rpc::kApplyInPlace && plan.x && in_place) {
    plan.result_inline = false;  // into x's own bytes: no output field
    return plan;
  }
  if (spec.rpc == Rpc::kApplyInPlace) plan.rpc = Rpc::kApply;
  plan.output = out;
  plan.result_inline = !out;
  return plan;
}

}  // namespace tensor_transform::client
