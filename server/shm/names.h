// The names a client may use for shared memory: region names (any the
// server will list) and keys (POSIX shared-memory objects in the server's
// directory). A key can name only a file directly inside that directory and
// starting with the configured prefix: no '/', no "..", nothing else.
//
//   absl::Status s = ValidateKey("/tensor_transform_a1b2", "tensor_transform_",
//                                "key");  // OK; the object is
//                                "tensor_transform_a1b2"
#ifndef TENSOR_TRANSFORM_SERVER_SHM_NAMES_H_
#define TENSOR_TRANSFORM_SERVER_SHM_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensor_transform::server::shm {

inline constexpr size_t kMaxRegionNameLength = 128;
inline constexpr size_t kMaxKeySuffixLength = 200;
inline constexpr size_t kMaxPrefixLength = 64;

// 1-128 of [A-Za-z0-9_.-]. InvalidArgument naming `field`, the value and
// the rule.
absl::Status ValidateRegionName(absl::string_view name,
                                absl::string_view field);

// The prefix a server is configured with: 1-64 of [A-Za-z0-9_.-], not
// starting with '.' (so that no key is "." or ".."), no "..".
// InvalidArgument.
absl::Status ValidatePrefix(absl::string_view prefix);

// `key` is an optional '/', then `prefix`, then 1-200 of [A-Za-z0-9_.-],
// with no ".." anywhere. The object's file name (the key without its '/'),
// or InvalidArgument naming `field`, the value and the rule.
absl::StatusOr<std::string> ObjectName(absl::string_view key,
                                       absl::string_view prefix,
                                       absl::string_view field);

}  // namespace tensor_transform::server::shm

#endif  // TENSOR_TRANSFORM_SERVER_SHM_NAMES_H_
