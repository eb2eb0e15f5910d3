// Plain scalar reference for ReLU and its gradient: one element at a time,
// written straight from the contract in relu.h. Every fast path is tested
// against it bit for bit, and the client verifies responses with it.
//
//   ReferenceRelu(DType::kFloat64, x.data(), y.data(), n);
#ifndef TENSOR_TRANSFORM_CORE_REFERENCE_H_
#define TENSOR_TRANSFORM_CORE_REFERENCE_H_

#include <cstddef>
#include <cstdint>

#include "core/types.h"

namespace tensor_transform::core {

// out[i] = relu(x[i]) for n elements; out may be x.
void ReferenceRelu(DType dtype, const uint8_t* x, uint8_t* out, size_t n);

// out[i] = gradient(x[i]) or gradient(x[i], upstream[i]) when upstream is not
// null; out may be x or upstream.
void ReferenceGradient(DType dtype, const uint8_t* x, const uint8_t* upstream,
                       uint8_t* out, size_t n);

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_REFERENCE_H_
