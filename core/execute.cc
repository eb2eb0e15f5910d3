#include "core/execute.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/kernels.h"
#include "core/parallel.h"
#include "core/thread_pool.h"

namespace tensor_transform::core::internal {
namespace {

// The half and int kernels as a table; they have no streaming stores.
template <auto kRelu, auto kGradient>
constexpr KernelTable WithoutStreaming() {
  return {
      [](Method method, DType dtype, const uint8_t* x, uint8_t* out, size_t n,
         bool) { kRelu(method, dtype, x, out, n); },
      [](DType dtype, const uint8_t* x, const uint8_t* upstream, uint8_t* out,
         size_t n, bool) { kGradient(dtype, x, upstream, out, n); }};
}

constexpr KernelTable kHalfKernels = WithoutStreaming<HalfRelu, HalfGradient>();
constexpr KernelTable kIntKernels = WithoutStreaming<IntRelu, IntGradient>();

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
  size_t item;
  bool stream;
};

// Runs the planned call on elements [begin, end).
void RunRange(void* context, size_t begin, size_t end) {
  const Plan& plan = *static_cast<const Plan*>(context);
  const KernelCall& call = plan.call;
  const size_t offset = begin * plan.item, n = end - begin;
  if (call.kind == KernelCall::kRelu) {
    return plan.kernels.relu(call.method, call.dtype, call.x + offset,
                             call.out + offset, n, plan.stream);
  }
  const uint8_t* upstream =
      call.upstream == nullptr ? nullptr : call.upstream + offset;
  plan.kernels.gradient(call.dtype, call.x + offset, upstream,
                        call.out + offset, n, plan.stream);
}

}  // namespace

absl::Status Execute(const KernelCall& call, const KernelOptions& options) {
  absl::StatusOr<KernelTable> kernels = TableFor(call.dtype, options.isa);
  if (!kernels.ok()) return kernels.status();
  const size_t item = ItemSize(call.dtype), bytes = call.n * item;
  const bool out_is_input = call.out == call.x || call.out == call.upstream;
  Plan plan{call, *kernels, item,
            !out_is_input && bytes >= options.streaming_min_bytes};
  size_t parts = 1;
  if (bytes >= options.parallel_min_bytes) {
    const size_t threads =
        options.threads == 0 ? ThreadPool::Shared().size() : options.threads;
    if (threads > 1) parts = threads * kPartsPerThread;
  }
  ParallelFor(call.n, item, call.out, parts, &RunRange, &plan);
  return absl::OkStatus();
}

}  // namespace tensor_transform::core::internal
