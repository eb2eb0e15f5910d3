#include "tests/server/test_certs.h"

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace tensor_transform::server::test_support {
namespace {

// EC keys: generated in milliseconds, unlike RSA.
constexpr char kKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1";

void Run(const std::string& command) {
  const std::string quiet = absl::StrCat(command, " >/dev/null 2>&1");
  if (std::system(quiet.c_str()) != 0) {
    std::cerr << "test_certs: failed: " << command << "\n";
    std::abort();
  }
}

void MakeCa(const std::string& dir, const std::string& name) {
  Run(absl::StrCat("openssl req -x509 ", kKey,
                   " -nodes -days 2 -subj /CN=", name, " -keyout ", dir, "/",
                   name, ".key -out ", dir, "/", name, ".pem"));
}

// A certificate for `name` signed by `ca`, with `extensions` (an openssl
// extension file line).
void MakeLeaf(const std::string& dir, const std::string& ca,
              const std::string& name, const std::string& extensions) {
  const std::string ext = WriteTestFile(name + ".ext", extensions + "\n");
  Run(absl::StrCat("openssl req ", kKey, " -nodes -subj /CN=", name,
                   " -keyout ", dir, "/", name, ".key -out ", dir, "/", name,
                   ".csr"));
  Run(absl::StrCat("openssl x509 -req -days 2 -in ", dir, "/", name,
                   ".csr -CA ", dir, "/", ca, ".pem -CAkey ", dir, "/", ca,
                   ".key -CAcreateserial -extfile ", ext, " -out ", dir, "/",
                   name, ".pem"));
}

const std::string& Dir() {
  static const std::string* const dir = [] {
    char pattern[] = "/tmp/tt_certs_XXXXXX";
    if (mkdtemp(pattern) == nullptr) std::abort();
    std::atexit([] { std::system(("rm -rf " + Dir()).c_str()); });
    return new std::string(pattern);
  }();
  return *dir;
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string WriteTestFile(const std::string& name,
                          const std::string& contents) {
  const std::string path = absl::StrCat(Dir(), "/", name);
  std::ofstream(path) << contents;
  return path;
}

const TestCerts& TestCerts::Get() {
  static const TestCerts* const certs = [] {
    const std::string& dir = Dir();
    MakeCa(dir, "ca");
    MakeCa(dir, "other_ca");
    MakeLeaf(dir, "ca", "server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    MakeLeaf(dir, "ca", "client", "extendedKeyUsage=clientAuth");
    MakeLeaf(dir, "other_ca", "other_client", "extendedKeyUsage=clientAuth");
    auto* c = new TestCerts;
    c->dir = dir;
    c->ca_cert = dir + "/ca.pem";
    c->other_ca_cert = dir + "/other_ca.pem";
    c->server_cert = dir + "/server.pem";
    c->server_key = dir + "/server.key";
    c->client_cert = dir + "/client.pem";
    c->client_key = dir + "/client.key";
    c->other_client_cert = dir + "/other_client.pem";
    c->other_client_key = dir + "/other_client.key";
    return c;
  }();
  return *certs;
}

}  // namespace tensor_transform::server::test_support
