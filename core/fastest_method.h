// The ReLU method to use when the caller names none (the wire's
// METHOD_UNSPECIFIED). Every method gives the same bits, so the choice is
// about speed alone, and it is measured on the machine that runs it.
//
//   Method method = FastestMethod(DType::kFloat64);
//
// How it is measured: once per dtype, on first use, each method runs out of
// place on the calling thread over 4096 elements of pseudo-random bits held in
// a static buffer (at most 32 KiB in and 32 KiB out, so both stay in the
// core's cache), 3 untimed then 15 timed runs; the method with the smallest
// best run wins, a tie going to the first in kAllMethods. In cache the
// arithmetic is what differs between methods; on arrays too large for the
// cache every method runs at memory speed (README, "Performance"), so the
// in-cache winner is never the slower there. It costs well under a
// millisecond, once.
#ifndef TENSOR_TRANSFORM_CORE_FASTEST_METHOD_H_
#define TENSOR_TRANSFORM_CORE_FASTEST_METHOD_H_

#include "core/types.h"

namespace tensor_transform::core {

// Thread-safe; concurrent first calls measure once.
Method FastestMethod(DType dtype);

}  // namespace tensor_transform::core

#endif  // TENSOR_TRANSFORM_CORE_FASTEST_METHOD_H_
