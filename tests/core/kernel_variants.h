// Every way a kernel call can run, for the differential tests: each
// instruction set this CPU supports, with normal and with streaming stores,
// and split over the thread pool at awkward boundaries.
//
//   for (const KernelVariant& v : KernelVariants(DType::kFloat64)) {
//     SCOPED_TRACE(v.name);
//     Relu(method, dtype, x, out, v.options);
//   }
#ifndef TENSOR_TRANSFORM_TESTS_CORE_KERNEL_VARIANTS_H_
#define TENSOR_TRANSFORM_TESTS_CORE_KERNEL_VARIANTS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "core/kernel_options.h"
#include "core/types.h"

namespace tensor_transform::core::testing {

struct KernelVariant {
  std::string name;  // "avx2, streaming stores"
  KernelOptions options;
  size_t width;  // elements of the dtype in one SIMD batch on this path
};

// For float32 / float64: every supported instruction set x {normal,
// streaming} stores on the calling thread, plus a split into 3 parts of even
// the smallest array. For the other dtypes (one code path, xtensor on SSE2):
// the calling thread, and the split.
std::vector<KernelVariant> KernelVariants(DType dtype);

}  // namespace tensor_transform::core::testing

#endif  // TENSOR_TRANSFORM_TESTS_CORE_KERNEL_VARIANTS_H_
