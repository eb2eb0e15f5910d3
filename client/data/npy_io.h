// NumPy .npy files in and out, through xtensor's reader and header writer.
//
//   absl::StatusOr<NpyArray> x = ReadNpy("x.npy");  // float64, 5000x5000
//   absl::Status s = WriteNpy("y.npy", *x);
//
// Supported: little-endian C-order float16/32/64 and int8/16/32/64 (NumPy has
// no bfloat16; use the gRPC API directly for it).
#ifndef TENSOR_TRANSFORM_CLIENT_DATA_NPY_IO_H_
#define TENSOR_TRANSFORM_CLIENT_DATA_NPY_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace tensor_transform::client {

struct NpyArray {
  core::DType dtype = core::DType::kFloat64;
  std::vector<int64_t> shape;
  std::string data;  // raw little-endian, row-major
};

// NotFound when the file cannot be opened; InvalidArgument for a malformed
// file or an unsupported dtype or layout.
absl::StatusOr<NpyArray> ReadNpy(const std::string& path);

// InvalidArgument for bfloat16; Unavailable when the file cannot be written.
absl::Status WriteNpy(const std::string& path, const NpyArray& array);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_DATA_NPY_IO_H_
