// Certificates made at test time with the openssl command line: two
// independent CAs, a server certificate for 127.0.0.1 / localhost signed by
// the first, and a client certificate from each.
//
//   const TestCerts& certs = TestCerts::Get();  // generated once per process
//   config.security.tls_cert_file = certs.server_cert;
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_TEST_CERTS_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_TEST_CERTS_H_

#include <string>

namespace tensor_transform::server::test_support {

struct TestCerts {
  // Paths of PEM files in a fresh temporary directory.
  std::string ca_cert;  // the CA that signed server_* and client_*
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string other_ca_cert;  // an unrelated CA, which signed other_client_*
  std::string other_client_cert, other_client_key;
  std::string dir;

  // Generates them on first use; aborts the test binary when openssl fails.
  static const TestCerts& Get();
};

// The contents of a file (for credentials built from PEM strings).
std::string ReadFile(const std::string& path);
// Writes `contents` to a new file in the certificates' directory; its path.
std::string WriteTestFile(const std::string& name, const std::string& contents);

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_TEST_CERTS_H_
