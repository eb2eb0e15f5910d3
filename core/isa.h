// The x86 instruction sets the float32/float64 kernels are compiled for. The
// shipped binary runs on any x86-64 (SSE2); wider sets are chosen at run time.
//
//   KernelOptions options;
//   options.isa = Isa::kAvx2;  // tests force each supported set
//   if (IsaSupported(Isa::kAvx512)) { ... }
#ifndef TENSOR_TRANSFORM_CORE_ISA_H_
#define TENSOR_TRANSFORM_CORE_ISA_H_

#include <array>

#include "absl/strings/string_view.h"

namespace tensor_transform::core {

enum class Isa {
  kSse2,    // every x86-64
  kAvx2,    // 256-bit
  kAvx512,  // 512-bit (AVX-512F)
};

inline constexpr std::array<Isa, 3> kAllIsas = {Isa::kSse2, Isa::kAvx2,
                                                Isa::kAvx512};

// "sse2", "avx2", "avx512".
absl::string_view IsaName(Isa isa);

// Whether this CPU and the OS (which must save the wider registers) run isa.
bool IsaSupported(Isa isa);

// The widest supported set: what the kernels use unless told otherwise.
Isa BestIsa();

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_ISA_H_
