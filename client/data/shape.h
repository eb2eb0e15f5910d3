// Tensor shapes as the command line writes them.
//
//   absl::StatusOr<std::vector<int64_t>> shape = ParseShape("5000x5000");
//   absl::StatusOr<int64_t> n = ElementCount(*shape);  // 25'000'000
//   std::string text = FormatShape(*shape);             // "5000x5000"
#ifndef TENSOR_TRANSFORM_CLIENT_DATA_SHAPE_H_
#define TENSOR_TRANSFORM_CLIENT_DATA_SHAPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensor_transform::client {

// Product of the dims; InvalidArgument for a negative dim or overflow.
absl::StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape);

// Parses "5000x5000" (or "5000,5000"; "" or "scalar" is a scalar) into dims.
absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text);
std::string FormatShape(const std::vector<int64_t>& shape);  // "5000x5000"

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_DATA_SHAPE_H_
