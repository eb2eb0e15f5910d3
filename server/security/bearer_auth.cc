#include "server/security/bearer_auth.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace tensor_transform::server {
namespace {

// Compares every byte whatever the first difference, so that the time taken
// does not tell an attacker how much of a guess was right.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

absl::string_view View(const grpc::string_ref& s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

BearerTokenChecker::BearerTokenChecker(std::string token)
    : expected_("Bearer " + std::move(token)) {}

grpc::Status BearerTokenChecker::Process(
    const InputMetadata& auth_metadata, grpc::AuthContext* /*context*/,
    OutputMetadata* /*consumed_auth_metadata*/,
    OutputMetadata* /*response_metadata*/) {
  const auto path = auth_metadata.find(":path");
  if (path != auth_metadata.end() &&
      absl::StartsWith(View(path->second), "/grpc.health.v1.Health/")) {
    return grpc::Status::OK;
  }
  const auto range = auth_metadata.equal_range("authorization");
  for (auto it = range.first; it != range.second; ++it) {
    if (ConstantTimeEquals(View(it->second), expected_)) {
      return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or wrong bearer token in the authorization "
                      "metadata");
}

}  // namespace tensor_transform::server
