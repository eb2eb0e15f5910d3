#include "server/security/security.h"

#include <grpcpp/security/server_credentials.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "proto/secret_file.h"
#include "server/security/bearer_auth.h"

namespace tensor_transform::server {
namespace {

absl::Status ValidateSecurity(const SecurityConfig& config) {
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file and tls_key_file: one is set, but TLS needs both");
  }
  const bool tls = !config.tls_cert_file.empty();
  if (!tls && !config.tls_client_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_client_ca_file: set, but client certificates need TLS "
        "(tls_cert_file and tls_key_file)");
  }
  if (!tls && !config.auth_token_file.empty()) {
    return absl::InvalidArgumentError(
        "auth_token_file: set, but a bearer token needs TLS (tls_cert_file "
        "and tls_key_file): clients send tokens only over secure channels");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const SecurityConfig& config) {
  absl::Status valid = ValidateSecurity(config);
  if (!valid.ok()) return valid;
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  auto cert = ReadSecretFile(config.tls_cert_file, "tls_cert_file");
  if (!cert.ok()) return cert.status();
  auto key = ReadSecretFile(config.tls_key_file, "tls_key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca_file.empty()) {
    auto ca = ReadSecretFile(config.tls_client_ca_file, "tls_client_ca_file");
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::SslServerCredentials(options);
  if (!config.auth_token_file.empty()) {
    auto token = ReadSecretFile(config.auth_token_file, "auth_token_file");
    if (!token.ok()) return token.status();
    const std::string trimmed(absl::StripAsciiWhitespace(*token));
    if (trimmed.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "auth_token_file: '", config.auth_token_file, "' holds only spaces"));
    }
    credentials->SetAuthMetadataProcessor(
        std::make_shared<BearerTokenChecker>(trimmed));
  }
  return credentials;
}

}  // namespace tensor_transform::server
