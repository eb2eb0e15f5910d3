#include "client/credentials.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "proto/secret_file.h"

namespace tensor_transform::client {
namespace {

absl::Status Validate(const ClientSecurityConfig& config) {
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert and --tls_key: one is set, but a client certificate "
        "needs both");
  }
  if (config.tls_ca_file.empty() && !config.tls_cert_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert: set, but a client certificate needs TLS (--tls_ca)");
  }
  if (config.tls_ca_file.empty() && !config.auth_token_file.empty()) {
    return absl::InvalidArgumentError(
        "--auth_token_file: set, but gRPC sends tokens only over TLS "
        "(--tls_ca)");
  }
  return absl::OkStatus();
}

absl::StatusOr<grpc::SslCredentialsOptions> TlsOptions(
    const ClientSecurityConfig& config) {
  grpc::SslCredentialsOptions options;
  auto ca = ReadSecretFile(config.tls_ca_file, "--tls_ca");
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *std::move(ca);
  if (!config.tls_cert_file.empty()) {
    auto cert = ReadSecretFile(config.tls_cert_file, "--tls_cert");
    if (!cert.ok()) return cert.status();
    auto key = ReadSecretFile(config.tls_key_file, "--tls_key");
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *std::move(cert);
    options.pem_private_key = *std::move(key);
  }
  return options;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientSecurityConfig& config) {
  absl::Status valid = Validate(config);
  if (!valid.ok()) return valid;
  if (config.tls_ca_file.empty()) return nullptr;
  auto options = TlsOptions(config);
  if (!options.ok()) return options.status();
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::SslCredentials(*options);
  if (config.auth_token_file.empty()) return credentials;
  auto token = ReadSecretFile(config.auth_token_file, "--auth_token_file");
  if (!token.ok()) return token.status();
  return grpc::CompositeChannelCredentials(
      credentials, grpc::AccessTokenCredentials(
                       std::string(absl::StripAsciiWhitespace(*token))));
}

}  // namespace tensor_transform::client
