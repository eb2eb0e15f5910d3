// Calls of any RPC with hand-encoded protobuf bytes, for the services whose
// .proto files the project does not ship (grpc.health.v1,
// grpc.reflection.v1alpha, grpc.channelz.v1): a GenericStub call driven step
// by step on its own completion queue, every step bounded by a deadline so
// that a broken server fails the test instead of hanging it.
//
//   RawCall watch(channel, "/grpc.health.v1.Health/Watch");
//   watch.Write("");  // HealthCheckRequest{service: ""}
//   watch.WritesDone();
//   std::optional<std::string> update = watch.Read();
//   EXPECT_EQ(VarintField(*update, 1), 1);  // SERVING
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_RAW_CALL_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_RAW_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tensor_transform::server::test_support {

class RawCall {
 public:
  // Starts a call of `method` ("/package.Service/Method"). Each later step
  // waits at most `step_timeout`.
  RawCall(const std::shared_ptr<grpc::Channel>& channel,
          const std::string& method,
          absl::Duration step_timeout = absl::Seconds(30));
  ~RawCall();

  // False when the call is over.
  bool Write(const std::string& message);
  bool WritesDone();
  // The next response; nullopt when there is none (or none in time).
  std::optional<std::string> Read();
  grpc::Status Finish();

 private:
  // Waits for the operation tagged `tag`; its ok bit.
  bool Await(void* tag);

  const absl::Duration step_timeout_;
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool finished_ = false;
};

// One request, one response: a unary call on the wire.
grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel,
                      const std::string& method, const std::string& request,
                      std::string* response);

// Protobuf wire format: a length-delimited field, and the values of field
// `number` in `message` (varints, or length-delimited bytes).
std::string BytesField(int number, const std::string& value);
std::optional<uint64_t> VarintField(const std::string& message, int number);
std::vector<std::string> BytesFields(const std::string& message, int number);

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_RAW_CALL_H_
