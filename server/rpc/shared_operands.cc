#include "server/rpc/shared_operands.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/rpc/shared_memory_rpcs.h"

namespace tensor_transform::server {
namespace {

struct Input {
  shm::SharedSpan span;
  std::string field;
};

// Whether `a` and `b` share bytes of one object without being the same
// bytes.
bool PartiallyOverlap(const shm::SharedSpan& a, const shm::SharedSpan& b) {
  if (a.region->device() != b.region->device() ||
      a.region->inode() != b.region->inode()) {
    return false;
  }
  const uint64_t a_end = a.object_offset + a.bytes.size();
  const uint64_t b_end = b.object_offset + b.bytes.size();
  const bool apart = a_end <= b.object_offset || b_end <= a.object_offset;
  const bool same = a.object_offset == b.object_offset && a_end == b_end;
  return !apart && !same;
}

// Resolves `ref` for `field` and holds its region in `ops`, once however
// many operands lie in it (CheckSharedIntact then checks it once).
absl::StatusOr<shm::SharedSpan> Hold(const shm::Registry& registry,
                                     const v1::SharedMemoryRef& ref,
                                     const std::string& field, Operands* ops) {
  absl::StatusOr<shm::SharedSpan> span =
      registry.Resolve(ref.region(), ref.offset(), ref.byte_size(), field);
  if (!span.ok()) return span;
  auto& held = ops->shared.regions;
  if (std::find(held.begin(), held.end(), span->region) == held.end()) {
    held.push_back(span->region);
  }
  return span;
}

// x or upstream: its data becomes the region's bytes.
absl::Status AttachInput(const shm::Registry& registry,
                         const v1::SharedMemoryRef& ref,
                         absl::string_view operand, tensor_slices::Data* data,
                         Operands* ops, std::vector<Input>* inputs) {
  const std::string field = absl::StrCat(operand, ".shared_memory");
  absl::StatusOr<shm::SharedSpan> span = Hold(registry, ref, field, ops);
  if (!span.ok()) return span.status();
  *data = tensor_slices::Data();
  data->spans.push_back(span->bytes);
  data->size = span->bytes.size();
  inputs->push_back({*std::move(span), field});
  return absl::OkStatus();
}

absl::Status AttachOutput(const shm::Registry& registry,
                          const v1::SharedMemoryRef& ref,
                          const std::vector<Input>& inputs, Operands* ops) {
  absl::StatusOr<shm::SharedSpan> out = Hold(registry, ref, "output", ops);
  if (!out.ok()) return out.status();
  for (const Input& input : inputs) {
    if (PartiallyOverlap(*out, input.span)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output: region '", ref.region(), "' at ", ref.offset(), " overlaps ",
          input.field,
          " partially; the output must be exactly an input's bytes (in "
          "place) or apart from them"));
    }
  }
  ops->shared.out = out->bytes;
  return absl::OkStatus();
}

}  // namespace

const v1::SharedMemoryRef* ResultRef(const SharedRefs& refs) {
  if (refs.output != nullptr) return refs.output;
  return refs.in_place ? refs.x : nullptr;
}

absl::Status AttachSharedMemory(const shm::Registry* registry,
                                const grpc::ServerContextBase& context,
                                const SharedRefs& refs, Operands* ops) {
  if (refs.x == nullptr && refs.upstream == nullptr && refs.output == nullptr) {
    return absl::OkStatus();
  }
  absl::Status status = SharedMemoryAccess(registry, context);
  std::vector<Input> inputs;
  if (status.ok() && refs.x != nullptr) {
    status =
        AttachInput(*registry, *refs.x, refs.x_field, &ops->x, ops, &inputs);
    ops->shared.x = status.ok();
  }
  if (status.ok() && refs.upstream != nullptr) {
    status = AttachInput(*registry, *refs.upstream, "upstream", &ops->upstream,
                         ops, &inputs);
    ops->shared.upstream = status.ok();
  }
  if (!status.ok()) return status;
  if (refs.output != nullptr) {
    return AttachOutput(*registry, *refs.output, inputs, ops);
  }
  if (refs.in_place && refs.x != nullptr) ops->shared.out = ops->x.spans[0];
  return absl::OkStatus();
}

absl::Status CheckSharedIntact(const Operands& ops) {
  for (const auto& region : ops.shared.regions) {
    absl::Status intact = region->CheckIntact();
    if (!intact.ok()) return intact;
  }
  return absl::OkStatus();
}

}  // namespace tensor_transform::server
