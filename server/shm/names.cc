#include "server/shm/names.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace tensor_transform::server::shm {
namespace {

constexpr absl::string_view kCharset = "[A-Za-z0-9_.-]";

bool AllowedChars(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == '.' || c == '-';
  });
}

// 1..max of kCharset.
bool ValidWord(absl::string_view s, size_t max) {
  return !s.empty() && s.size() <= max && AllowedChars(s);
}

}  // namespace

absl::Status ValidateRegionName(absl::string_view name,
                                absl::string_view field) {
  if (ValidWord(name, kMaxRegionNameLength)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": '", name, "', but a region name is 1-",
                   kMaxRegionNameLength, " of ", kCharset));
}

absl::Status ValidatePrefix(absl::string_view prefix) {
  if (ValidWord(prefix, kMaxPrefixLength) && prefix[0] != '.' &&
      !absl::StrContains(prefix, "..")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("shared_memory_prefix: '", prefix, "', but it must be 1-",
                   kMaxPrefixLength, " of ", kCharset,
                   ", not start with '.' nor hold '..'"));
}

absl::StatusOr<std::string> ObjectName(absl::string_view key,
                                       absl::string_view prefix,
                                       absl::string_view field) {
  absl::string_view object = key;
  absl::ConsumePrefix(&object, "/");
  absl::string_view suffix = object;
  if (absl::ConsumePrefix(&suffix, prefix) &&
      ValidWord(suffix, kMaxKeySuffixLength) &&
      !absl::StrContains(object, "..")) {
    return std::string(object);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": '", key, "', but a key is an optional '/', then '", prefix,
      "', then 1-", kMaxKeySuffixLength, " of ", kCharset,
      ", with no '..' (a POSIX shared-memory object of this server's "
      "directory)"));
}

}  // namespace tensor_transform::server::shm
