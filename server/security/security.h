// The server's transport security from PEM files: plaintext, TLS, or mutual
// TLS, optionally with a bearer token checked on every call.
//
//   SecurityConfig security;
//   security.tls_cert_file = "server.pem";
//   security.tls_key_file = "server.key";
//   security.tls_client_ca_file = "clients-ca.pem";  // mTLS
//   auto credentials = MakeServerCredentials(security);
//   builder.AddListeningPort(address, *credentials);
#ifndef TENSOR_TRANSFORM_SERVER_SECURITY_SECURITY_H_
#define TENSOR_TRANSFORM_SERVER_SECURITY_SECURITY_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tensor_transform::server {

struct SecurityConfig {
  // PEM certificate chain and private key of the server; both or neither.
  // Neither: plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA certificates; when set, every client must present a certificate
  // they signed (mutual TLS). Needs the server's certificate.
  std::string tls_client_ca_file;
  // A file holding the bearer token every call must carry (surrounding
  // whitespace ignored). Needs TLS: gRPC clients send tokens only over
  // secure channels, and a token in plaintext is no secret.
  std::string auth_token_file;
};

// InvalidArgument for an inconsistent config (a key without a certificate, a
// client CA or token without TLS, an empty token); NotFound or
// PermissionDenied when a file cannot be read. A malformed PEM file is
// reported by gRPC when the server starts (StartServer: Unavailable).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const SecurityConfig& config);

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_SECURITY_SECURITY_H_
