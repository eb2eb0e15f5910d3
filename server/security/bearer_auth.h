// Bearer-token authentication in gRPC's auth layer: a call whose metadata
// lacks "authorization: Bearer <token>" fails with UNAUTHENTICATED while its
// headers are processed, before any handler runs or any message is parsed,
// so a caller without the token costs the server no payload processing.
//
//   auto credentials = grpc::SslServerCredentials(options);
//   credentials->SetAuthMetadataProcessor(
//       std::make_shared<BearerTokenChecker>(token));
#ifndef TENSOR_TRANSFORM_SERVER_SECURITY_BEARER_AUTH_H_
#define TENSOR_TRANSFORM_SERVER_SECURITY_BEARER_AUTH_H_

#include <grpcpp/security/auth_metadata_processor.h>

#include <string>

namespace tensor_transform::server {

class BearerTokenChecker final : public grpc::AuthMetadataProcessor {
 public:
  // `token` must not be empty.
  explicit BearerTokenChecker(std::string token);

  // The check is a comparison: run it on gRPC's own thread.
  bool IsBlocking() const override { return false; }

  // OK when the call carries the token, or calls grpc.health.v1.Health
  // (probes seldom carry credentials, and health reveals nothing);
  // UNAUTHENTICATED otherwise. The comparison takes the same time wherever
  // the first wrong byte is.
  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const std::string expected_;  // "Bearer <token>"
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_SECURITY_BEARER_AUTH_H_
