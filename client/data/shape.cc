#include "client/data/shape.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tensor_transform::client {

absl::StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shape[", i, "]: ", shape[i], ", but dimensions must be >= 0"));
    }
    if (__builtin_mul_overflow(count, shape[i], &count)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shape ", FormatShape(shape), " has more than 2^63 elements"));
    }
  }
  return count;
}

absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text) {
  std::vector<int64_t> shape;
  if (text.empty() || text == "scalar") return shape;
  for (absl::string_view dim : absl::StrSplit(text, absl::ByAnyChar("x,"))) {
    int64_t value;
    if (!absl::SimpleAtoi(dim, &value) || value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--shape: '", text, "' has dim '", dim,
                       "', but dims are integers >= 0 joined by 'x'"));
    }
    shape.push_back(value);
  }
  return shape;
}

std::string FormatShape(const std::vector<int64_t>& shape) {
  return shape.empty() ? "scalar" : absl::StrJoin(shape, "x");
}

}  // namespace tensor_transform::client
