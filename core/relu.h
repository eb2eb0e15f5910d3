// ReLU and its gradient over raw little-endian element buffers.
//
//   std::vector<double> x = {-1.5, 0.0, 2.0}, y(3);
//   absl::Status s = core::Relu(core::Method::kMaximum, core::DType::kFloat64,
//                               AsBytes(x), AsWritableBytes(y));
//   // y = {0, 0, 2}
//
// The numeric contract, identical for every method and dtype, bit for bit:
//   relu(x) = x where x > 0, and +0 where x <= 0 (-0.0 and -inf included);
//             a NaN is returned unchanged (same bits, whatever its sign).
//   gradient(x) = 1 where x > 0, else +0 (NaN -> +0), in x's dtype;
//   gradient(x, g) = g where x > 0 (g's exact bits, a NaN or -0 included),
//                    else +0.
//
// Buffers are spans of bytes holding whole elements of `dtype`, at any byte
// address (a received message's slices start anywhere): the kernels load and
// store unaligned and never dereference a misaligned element pointer.
// Misaligned float32 / float64 buffers cost only split cache-line accesses
// (core_benchmark's relu_runs cases at offset 3 against offset 0); the other
// dtypes pass misaligned buffers through 4 KiB copies on the stack.
// Kernels never allocate (the shared thread pool starts its threads once, on
// the first large call). `options` (core/kernel_options.h) choose the
// instruction set, threads and stores; every choice gives the same bits.
// FailedPrecondition: options.isa is not supported by this CPU. For an array
// held in pieces, core/runs.h computes all pieces in one call.
#ifndef TENSOR_TRANSFORM_CORE_RELU_H_
#define TENSOR_TRANSFORM_CORE_RELU_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/kernel_options.h"
#include "core/types.h"

namespace tensor_transform::core {

// out = relu(x), evaluated by `method`.
// `out` may be exactly `x` (in place) but must not partially overlap it.
// InvalidArgument: unknown method or dtype; sizes differ or are not whole
// elements; out partially overlaps x.
absl::Status Relu(Method method, DType dtype, absl::Span<const uint8_t> x,
                  absl::Span<uint8_t> out, const KernelOptions& options = {});

// x = relu(x), evaluated by `method` in the caller's buffer.
absl::Status ReluInPlace(Method method, DType dtype, absl::Span<uint8_t> x,
                         const KernelOptions& options = {});

// out = gradient(x) or, when `upstream` is non-empty, gradient(x, upstream).
// `out` may be exactly `x` or exactly `upstream`.
// InvalidArgument: as for Relu, or `upstream` is non-empty and differs in size.
absl::Status ReluGradient(DType dtype, absl::Span<const uint8_t> x,
                          absl::Span<const uint8_t> upstream,
                          absl::Span<uint8_t> out,
                          const KernelOptions& options = {});

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_RELU_H_
