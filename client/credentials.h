// Client-side transport security matching the server's --tls_* and
// --auth_token_file flags: TLS trusting a given CA, a client certificate for
// mutual TLS, and a bearer token sent with every call.
//
//   ClientSecurityConfig security;
//   security.tls_ca_file = "ca.pem";
//   security.auth_token_file = "token";
//   auto credentials = MakeChannelCredentials(security);
//   if (!credentials.ok()) return credentials.status();
//   auto channel = MakeChannel(target, max_bytes, *credentials);
#ifndef TENSOR_TRANSFORM_CLIENT_CREDENTIALS_H_
#define TENSOR_TRANSFORM_CLIENT_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace tensor_transform::client {

struct ClientSecurityConfig {
  // PEM CA certificates that signed the server's certificate; setting it
  // turns TLS on. The server is checked against the target's host name (or
  // IP address).
  std::string tls_ca_file;
  // PEM certificate chain and key of the client, for a server requiring
  // client certificates (mutual TLS); both or neither, and TLS.
  std::string tls_cert_file;
  std::string tls_key_file;
  // A file holding the token sent as "authorization: Bearer <token>" with
  // every call (surrounding whitespace ignored); needs TLS.
  std::string auth_token_file;
};

// Null for plaintext (nothing set), which MakeChannel (tensor_client.h)
// takes as such. InvalidArgument for an inconsistent config (a certificate
// without its key, a client certificate or token without TLS); NotFound /
// PermissionDenied for unreadable files.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>>
MakeChannelCredentials(const ClientSecurityConfig& config);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_CREDENTIALS_H_
