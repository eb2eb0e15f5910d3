#include "tests/core/kernel_variants.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/isa.h"

namespace tensor_transform::core::testing {
namespace {

// Thresholds that never trigger, so that each variant runs exactly one path
// whatever the array's size.
KernelOptions SingleThreaded() {
  KernelOptions options;
  options.threads = 1;
  options.streaming_min_bytes = SIZE_MAX;
  return options;
}

bool IsFloat(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat64;
}

// Elements of `dtype` in one register of `isa` (the others run SSE2 code).
size_t Width(DType dtype, Isa isa) {
  if (!IsFloat(dtype)) isa = Isa::kSse2;
  const size_t register_bytes = isa == Isa::kAvx512 ? 64
                                : isa == Isa::kAvx2 ? 32
                                                    : 16;
  return register_bytes / ItemSize(dtype);
}

}  // namespace

std::vector<KernelVariant> KernelVariants(DType dtype) {
  std::vector<KernelVariant> variants;
  for (Isa isa : kAllIsas) {
    if (!IsFloat(dtype) && isa != Isa::kSse2) continue;
    if (!IsaSupported(isa)) continue;
    KernelOptions options = SingleThreaded();
    options.isa = isa;
    variants.push_back({absl::StrCat(IsaName(isa), ", normal stores"), options,
                        Width(dtype, isa)});
    if (!IsFloat(dtype)) continue;
    options.streaming_min_bytes = 0;
    variants.push_back({absl::StrCat(IsaName(isa), ", streaming stores"),
                        options, Width(dtype, isa)});
  }
  // 3 parts: more than this machine may have CPUs, and boundaries that do
  // not halve the array; streaming wherever the dtype has it.
  KernelOptions split;
  split.threads = 3;
  split.parallel_min_bytes = 0;
  split.streaming_min_bytes = 0;
  variants.push_back({"split in 3 parts, best isa, streaming stores", split,
                      Width(dtype, BestIsa())});
  return variants;
}

}  // namespace tensor_transform::core::testing
