// Reads the small files that hold secrets and certificates (TLS PEM files,
// bearer tokens), for the server's and the client's flags alike.
//
//   absl::StatusOr<std::string> pem = ReadSecretFile(path, "--tls_ca");
#ifndef TENSOR_TRANSFORM_PROTO_SECRET_FILE_H_
#define TENSOR_TRANSFORM_PROTO_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensor_transform {

// The contents of a small file holding a secret or a certificate; errors
// name `flag`. NotFound, PermissionDenied, or InvalidArgument when empty.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path,
                                           absl::string_view flag);

}  // namespace tensor_transform

#endif  // TENSOR_TRANSFORM_PROTO_SECRET_FILE_H_
