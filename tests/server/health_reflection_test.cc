// The ecosystem services beside TensorTransform: grpc.health.v1 (Check and
// Watch, NOT_SERVING once draining), server reflection, channelz; spoken
// with hand-encoded protobuf since the project ships none of their .protos.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"
#include "tests/server/raw_call.h"

namespace tensor_transform::server {
namespace {

using test_support::BytesField;
using test_support::BytesFields;
using test_support::RawCall;
using test_support::RawUnary;
using test_support::VarintField;

constexpr char kCheck[] = "/grpc.health.v1.Health/Check";
constexpr char kWatch[] = "/grpc.health.v1.Health/Watch";
constexpr char kReflection[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
// grpc.health.v1.HealthCheckResponse.ServingStatus
constexpr uint64_t kServing = 1;
constexpr uint64_t kNotServing = 2;

std::unique_ptr<RunningServer> Start(ServerConfig config = {}) {
  config.listen = "127.0.0.1:0";
  auto server = StartServer(config);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

std::shared_ptr<grpc::Channel> ChannelTo(const RunningServer& server) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                             grpc::InsecureChannelCredentials());
}

// HealthCheckRequest{service}: field 1.
std::string HealthRequest(const std::string& service) {
  return service.empty() ? "" : BytesField(1, service);
}

TEST(Health, ChecksServingForTheServerAndTheService) {
  auto server = Start();
  auto channel = ChannelTo(*server);
  for (const std::string& service :
       {std::string(), std::string(v1::TensorTransform::service_full_name())}) {
    std::string response;
    ASSERT_TRUE(
        RawUnary(channel, kCheck, HealthRequest(service), &response).ok())
        << service;
    EXPECT_EQ(VarintField(response, 1), kServing) << service;
  }
  std::string response;
  EXPECT_EQ(
      RawUnary(channel, kCheck, HealthRequest("no.such.Service"), &response)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST(Health, WatchTurnsNotServingWhenDrainingAndNewCallsAreRefused) {
  auto server = Start();
  auto channel = ChannelTo(*server);
  RawCall watch(channel, kWatch);
  ASSERT_TRUE(watch.Write(HealthRequest("")));
  ASSERT_TRUE(watch.WritesDone());
  std::optional<std::string> first = watch.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(VarintField(*first, 1), kServing);

  std::thread drain([&] { server->Shutdown(); });
  std::optional<std::string> update = watch.Read();
  ASSERT_TRUE(update.has_value());
  EXPECT_EQ(VarintField(*update, 1), kNotServing);
  // Then the server ends the stream, so that the drain does not wait for it.
  EXPECT_FALSE(watch.Read().has_value());
  EXPECT_FALSE(watch.Finish().ok());
  drain.join();

  auto stub = v1::TensorTransform::NewStub(channel);
  grpc::ClientContext context;
  v1::DescribeResponse described;
  EXPECT_EQ(
      stub->Describe(&context, v1::DescribeRequest(), &described).error_code(),
      grpc::StatusCode::UNAVAILABLE);
}

// ServerReflectionRequest{list_services: ""} (field 7); the response's
// list_services_response (6) holds ServiceResponse{name (1)} entries (1).
std::vector<std::string> ListServices(
    const std::shared_ptr<grpc::Channel>& channel, grpc::Status* status) {
  std::string response;
  *status = RawUnary(channel, kReflection, BytesField(7, ""), &response);
  std::vector<std::string> names;
  for (const std::string& list : BytesFields(response, 6)) {
    for (const std::string& service : BytesFields(list, 1)) {
      for (const std::string& name : BytesFields(service, 1)) {
        names.push_back(name);
      }
    }
  }
  return names;
}

TEST(Reflection, ListsTheServices) {
  auto server = Start();
  grpc::Status status;
  const std::vector<std::string> names =
      ListServices(ChannelTo(*server), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const char* service :
       {"tensor_transform.v1.TensorTransform", "grpc.health.v1.Health"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), service), names.end())
        << service;
  }
}

TEST(Reflection, DescribesTheServiceWithoutItsProto) {
  auto server = Start();
  std::string response;
  // file_containing_symbol (4) -> file_descriptor_response (4) holding
  // serialized FileDescriptorProtos (1).
  ASSERT_TRUE(RawUnary(ChannelTo(*server), kReflection,
                       BytesField(4, "tensor_transform.v1.TensorTransform"),
                       &response)
                  .ok());
  bool found = false;
  for (const std::string& files : BytesFields(response, 4)) {
    for (const std::string& bytes : BytesFields(files, 1)) {
      google::protobuf::FileDescriptorProto file;
      ASSERT_TRUE(file.ParseFromString(bytes));
      for (const auto& service : file.service()) {
        if (service.name() != "TensorTransform") continue;
        found = std::any_of(
            service.method().begin(), service.method().end(),
            [](const auto& method) { return method.name() == "ApplyStream"; });
      }
    }
  }
  EXPECT_TRUE(found) << "no TensorTransform.ApplyStream in the descriptors";
}

TEST(Reflection, IsOffWhenDisabled) {
  ServerConfig config;
  config.reflection = false;
  auto server = Start(config);
  grpc::Status status;
  ListServices(ChannelTo(*server), &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST(Channelz, ListsTheServerWhenEnabled) {
  ServerConfig config;
  config.channelz = true;
  auto server = Start(config);
  std::string response;
  // GetServersRequest{} -> GetServersResponse{server (1): [...]}.
  ASSERT_TRUE(RawUnary(ChannelTo(*server),
                       "/grpc.channelz.v1.Channelz/GetServers", "", &response)
                  .ok());
  EXPECT_FALSE(BytesFields(response, 1).empty());
}

}  // namespace
}  // namespace tensor_transform::server
