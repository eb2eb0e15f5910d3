#include "tests/client/shared_memory_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"

namespace tensor_transform::client::testing {

namespace v1 = ::tensor_transform::v1;

SharedMemoryServer StartSharedMemoryServer(bool enabled,
                                           int64_t max_message_bytes,
                                           const std::string& listen) {
  server::ServerConfig config;
  config.listen = listen;
  config.max_message_bytes = max_message_bytes;
  config.shared_memory.enabled = enabled;
  auto started = server::StartServer(config);
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return {};
  SharedMemoryServer out;
  out.target = absl::StartsWith(listen, "unix:")
                   ? listen
                   : absl::StrCat("127.0.0.1:", (*started)->port());
  out.server = *std::move(started);
  return out;
}

std::set<std::string> RegisteredRegions(const std::string& target) {
  auto stub = v1::TensorTransform::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::SystemSharedMemoryStatusResponse response;
  const grpc::Status status = stub->SystemSharedMemoryStatus(
      &context, v1::SystemSharedMemoryStatusRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> names;
  for (const auto& [name, region] : response.regions()) names.insert(name);
  return names;
}

}  // namespace tensor_transform::client::testing
