#include "core/execute.h"

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/kernels.h"
#include "core/parallel.h"
#include "core/stack_scratch.h"
#include "core/thread_pool.h"

namespace tensor_transform::core::internal {
namespace {

// The half and int kernels as a table: they read their buffers through
// element pointers, so misaligned ones pass through stack copies
// (core/stack_scratch.h); they have no streaming stores.
template <auto kRelu, auto kGradient>
constexpr KernelTable ThroughAlignedBuffers() {
  return {[](Method method, DType dtype, const uint8_t* x, uint8_t* out,
             size_t n, bool) {
            AtAnyAddress(
                ItemSize(dtype), x, nullptr, out, n,
                [&](const uint8_t* in, const uint8_t*, uint8_t* result,
                    size_t count) { kRelu(method, dtype, in, result, count); });
          },
          [](DType dtype, const uint8_t* x, const uint8_t* upstream,
             uint8_t* out, size_t n, bool) {
            AtAnyAddress(
                ItemSize(dtype), x, upstream, out, n,
                [&](const uint8_t* in, const uint8_t* g, uint8_t* result,
                    size_t count) { kGradient(dtype, in, g, result, count); });
          }};
}

constexpr KernelTable kHalfKernels =
    ThroughAlignedBuffers<HalfRelu, HalfGradient>();
constexpr KernelTable kIntKernels =
    ThroughAlignedBuffers<IntRelu, IntGradient>();

absl::StatusOr<KernelTable> TableFor(DType dtype, std::optional<Isa> wanted) {
  const Isa isa = wanted.value_or(BestIsa());
  if (!IsaSupported(isa)) {
    return absl::FailedPreconditionError(
        absl::StrCat("isa: ", IsaName(isa), " is not supported by this CPU"));
  }
  switch (dtype) {
    case DType::kFloat32:
    case DType::kFloat64:
      break;
    case DType::kFloat16:
    case DType::kBFloat16:
      return kHalfKernels;
    default:
      return kIntKernels;
  }
  switch (isa) {
    case Isa::kSse2:
      return kFloatSimdSse2;
    case Isa::kAvx2:
      return kFloatSimdAvx2;
    case Isa::kAvx512:
      return kFloatSimdAvx512;
  }
  return absl::InternalError("isa: unknown instruction set");
}

struct Plan {
  KernelCall call;
  KernelTable kernels;
  absl::Span<const Run> runs;
  size_t item;
  bool stream;  // the batch is large enough for streaming stores
};

// Runs the planned call on elements [begin, end) of run r. Streaming stores
// only go to a buffer that is neither input (core/kernel_options.h).
void RunSegment(void* context, size_t r, size_t begin, size_t end) {
  const Plan& plan = *static_cast<const Plan*>(context);
  const KernelCall& call = plan.call;
  const Run& run = plan.runs[r];
  const size_t offset = begin * plan.item, n = end - begin;
  const uint8_t* x = run.x.data() + offset;
  uint8_t* out = run.out.data() + offset;
  const bool has_upstream = !run.upstream.empty();
  const bool stream = plan.stream && run.out.data() != run.x.data() &&
                      !(has_upstream && run.out.data() == run.upstream.data());
  if (call.kind == KernelCall::kRelu) {
    return plan.kernels.relu(call.method, call.dtype, x, out, n, stream);
  }
  const uint8_t* upstream =
      has_upstream ? run.upstream.data() + offset : nullptr;
  plan.kernels.gradient(call.dtype, x, upstream, out, n, stream);
}

}  // namespace

absl::Status Execute(const KernelCall& call, absl::Span<const Run> runs,
                     const KernelOptions& options) {
  absl::StatusOr<KernelTable> kernels = TableFor(call.dtype, options.isa);
  if (!kernels.ok()) return kernels.status();
  size_t bytes = 0;
  for (const Run& run : runs) bytes += run.x.size();
  const size_t item = ItemSize(call.dtype);
  Plan plan{call, *kernels, runs, item, bytes >= options.streaming_min_bytes};
  size_t parts = 1;
  if (bytes >= options.parallel_min_bytes) {
    const size_t threads =
        options.threads == 0 ? ThreadPool::Shared().size() : options.threads;
    if (threads > 1) parts = threads * kPartsPerThread;
  }
  ParallelFor(runs, item, parts, &RunSegment, &plan);
  return absl::OkStatus();
}

}  // namespace tensor_transform::core::internal
