// The client side of TLS, mutual TLS and bearer tokens (client/credentials.h)
// against a real server configured with the matching server flags, with
// certificates generated at test time by openssl.
#include "client/credentials.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/tensor_client.h"
#include "server/server.h"
#include "tests/server/test_certs.h"

namespace tensor_transform::client {
namespace {

using server::test_support::TestCerts;
using server::test_support::WriteTestFile;

std::unique_ptr<server::RunningServer> StartServer(bool mtls, bool token) {
  const TestCerts& certs = TestCerts::Get();
  server::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.security.tls_cert_file = certs.server_cert;
  config.security.tls_key_file = certs.server_key;
  if (mtls) config.security.tls_client_ca_file = certs.ca_cert;
  if (token) {
    config.security.auth_token_file = WriteTestFile("client_token", "t0k3n\n");
  }
  auto server = server::StartServer(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

absl::Status Describe(const server::RunningServer& server,
                      const ClientSecurityConfig& security) {
  auto credentials = MakeChannelCredentials(security);
  if (!credentials.ok()) return credentials.status();
  TensorClient client(MakeChannel(absl::StrCat("127.0.0.1:", server.port()),
                                  int64_t{1} << 20, *credentials));
  return client.Describe(absl::Seconds(10)).status();
}

TEST(ClientCredentials, ConnectWithMutualTlsAndAToken) {
  const TestCerts& certs = TestCerts::Get();
  auto server = StartServer(true, true);
  ClientSecurityConfig security;
  security.tls_ca_file = certs.ca_cert;
  security.tls_cert_file = certs.client_cert;
  security.tls_key_file = certs.client_key;
  security.auth_token_file = WriteTestFile("client_token_ok", " t0k3n ");
  EXPECT_TRUE(Describe(*server, security).ok());

  security.auth_token_file = WriteTestFile("client_token_bad", "nope");
  EXPECT_EQ(Describe(*server, security).code(),
            absl::StatusCode::kUnauthenticated);
  security.auth_token_file.clear();
  security.tls_cert_file.clear();
  security.tls_key_file.clear();
  EXPECT_EQ(Describe(*server, security).code(), absl::StatusCode::kUnavailable);
}

TEST(ClientCredentials, TrustingTheWrongCaFails) {
  auto server = StartServer(false, false);
  ClientSecurityConfig security;
  security.tls_ca_file = TestCerts::Get().other_ca_cert;
  EXPECT_EQ(Describe(*server, security).code(), absl::StatusCode::kUnavailable);
}

TEST(ClientCredentials, PlaintextWhenNothingIsSet) {
  auto credentials = MakeChannelCredentials({});
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  EXPECT_EQ(*credentials, nullptr);
}

TEST(ClientCredentials, RejectsInconsistentOrUnreadableSettings) {
  ClientSecurityConfig key_only;
  key_only.tls_ca_file = TestCerts::Get().ca_cert;
  key_only.tls_key_file = TestCerts::Get().client_key;
  EXPECT_EQ(MakeChannelCredentials(key_only).status().code(),
            absl::StatusCode::kInvalidArgument);
  ClientSecurityConfig token_without_tls;
  token_without_tls.auth_token_file = "token";
  EXPECT_EQ(MakeChannelCredentials(token_without_tls).status().code(),
            absl::StatusCode::kInvalidArgument);
  ClientSecurityConfig missing;
  missing.tls_ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(MakeChannelCredentials(missing).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tensor_transform::client
