// TLS, mutual TLS and bearer tokens against a real server, with
// certificates generated at test time by openssl (test_certs.h).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"
#include "tests/server/raw_call.h"
#include "tests/server/scrape.h"
#include "tests/server/test_certs.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::ReadFile;
using test_support::TestCerts;

constexpr char kToken[] = "s3cret-token";

std::unique_ptr<RunningServer> StartTls(bool require_client_cert,
                                        bool require_token) {
  const TestCerts& certs = TestCerts::Get();
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.security.tls_cert_file = certs.server_cert;
  config.security.tls_key_file = certs.server_key;
  if (require_client_cert) config.security.tls_client_ca_file = certs.ca_cert;
  if (require_token) {
    config.security.auth_token_file =
        test_support::WriteTestFile("token", absl::StrCat("  ", kToken, "\n"));
  }
  auto server = StartServer(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

// A TLS channel trusting the CA file `ca`, with a client certificate and a
// bearer token when given.
std::shared_ptr<grpc::Channel> Connect(const RunningServer& server,
                                       const std::string& ca,
                                       const std::string& cert = "",
                                       const std::string& key = "",
                                       const std::string& token = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca);
  if (!cert.empty()) {
    options.pem_cert_chain = ReadFile(cert);
    options.pem_private_key = ReadFile(key);
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::SslCredentials(options);
  if (!token.empty()) {
    credentials = grpc::CompositeChannelCredentials(
        credentials, grpc::AccessTokenCredentials(token));
  }
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                             credentials);
}

grpc::Status Describe(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  v1::DescribeResponse response;
  return v1::TensorTransform::NewStub(channel)->Describe(
      &context, v1::DescribeRequest(), &response);
}

TEST(Tls, ServesAClientTrustingTheServersCa) {
  auto server = StartTls(false, false);
  EXPECT_TRUE(Describe(Connect(*server, TestCerts::Get().ca_cert)).ok());
}

TEST(Tls, ClientTrustingAnotherCaFails) {
  auto server = StartTls(false, false);
  EXPECT_EQ(
      Describe(Connect(*server, TestCerts::Get().other_ca_cert)).error_code(),
      grpc::StatusCode::UNAVAILABLE);
}

TEST(Tls, PlaintextClientIsRefused) {
  auto server = StartTls(false, false);
  EXPECT_EQ(
      Describe(grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->port()),
                                   grpc::InsecureChannelCredentials()))
          .error_code(),
      grpc::StatusCode::UNAVAILABLE);
}

TEST(MutualTls, ServesAClientWithACertificateFromTheClientCa) {
  const TestCerts& certs = TestCerts::Get();
  auto server = StartTls(true, false);
  EXPECT_TRUE(Describe(Connect(*server, certs.ca_cert, certs.client_cert,
                               certs.client_key))
                  .ok());
}

TEST(MutualTls, RefusesAClientWithoutACertificate) {
  auto server = StartTls(true, false);
  EXPECT_EQ(Describe(Connect(*server, TestCerts::Get().ca_cert)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(MutualTls, RefusesAClientCertificateFromAnotherCa) {
  const TestCerts& certs = TestCerts::Get();
  auto server = StartTls(true, false);
  EXPECT_EQ(Describe(Connect(*server, certs.ca_cert, certs.other_client_cert,
                             certs.other_client_key))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(BearerToken, ServesCallsCarryingTheToken) {
  auto server = StartTls(false, true);
  EXPECT_TRUE(
      Describe(Connect(*server, TestCerts::Get().ca_cert, "", "", kToken))
          .ok());
}

TEST(BearerToken, RefusesAMissingOrWrongTokenBeforeReadingThePayload) {
  auto server = StartTls(false, true);
  const std::string ca = TestCerts::Get().ca_cert;
  EXPECT_EQ(Describe(Connect(*server, ca, "", "", "wrong")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // 64 MB without the token: refused from its headers; the handler never
  // runs, so no call and no payload byte reach the service's metrics.
  v1::ApplyRequest request;
  *request.mutable_tensor() =
      test_support::RandomTensor(v1::FLOAT64, {8 << 20}, test_support::kSeed);
  grpc::ClientContext context;
  v1::TransformResponse response;
  EXPECT_EQ(v1::TensorTransform::NewStub(Connect(*server, ca))
                ->Apply(&context, request, &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const std::string metrics =
      test_support::HttpGet(server->metrics_port(), "/metrics").body;
  EXPECT_EQ(metrics.find("grpc_method=\"Apply\""), std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("grpc_method=\"Describe\""), std::string::npos);
}

TEST(BearerToken, LetsHealthChecksThroughWithoutIt) {
  auto server = StartTls(false, true);
  std::string response;
  EXPECT_TRUE(test_support::RawUnary(Connect(*server, TestCerts::Get().ca_cert),
                                     "/grpc.health.v1.Health/Check", "",
                                     &response)
                  .ok());
  EXPECT_EQ(test_support::VarintField(response, 1), 1u);  // SERVING
}

}  // namespace
}  // namespace tensor_transform::server
