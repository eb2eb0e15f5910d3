#include "core/isa.h"

namespace tensor_transform::core {

absl::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kSse2:
      return "sse2";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

// The compiler's CPU check rather than xsimd::available_architectures():
// xsimd 8.1 reads only CPUID, which also reports AVX and AVX-512 when the OS
// has not enabled their registers (XCR0); the compiler's check looks at both.
// __builtin_cpu_init makes it safe to call from static initializers (tests
// list the supported sets while registering).
bool IsaSupported(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case Isa::kSse2:
      return true;
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2");
    case Isa::kAvx512:
      return __builtin_cpu_supports("avx512f");
  }
  return false;
}

Isa BestIsa() {
  static const Isa best = [] {
    Isa widest = Isa::kSse2;
    for (Isa isa : kAllIsas) {
      if (IsaSupported(isa)) widest = isa;
    }
    return widest;
  }();
  return best;
}

}  // namespace tensor_transform::core
