// The receive timeout (server/rpc/receive_watchdog.h): a call whose request
// message does not arrive whole in time ends with DEADLINE_EXCEEDED naming
// the flag, while calls that send their messages are served as usual.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"
#include "tests/server/raw_call.h"

namespace tensor_transform::server {
namespace {

namespace v1 = ::tensor_transform::v1;
using test_support::RawCall;

constexpr absl::Duration kReceiveTimeout = absl::Milliseconds(300);

class ReceiveTimeoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.receive_timeout = kReceiveTimeout;
    auto server = StartServer(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }

  // Waits for `call` to end, and checks it was ended by the timeout, within
  // a generous margin on a busy machine.
  void ExpectTimedOut(RawCall& call, absl::Time start) {
    const grpc::Status status = call.Finish();
    const absl::Duration waited = absl::Now() - start;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
        << status.error_message();
    EXPECT_NE(status.error_message().find("receive_timeout"), std::string::npos)
        << status.error_message();
    EXPECT_GE(waited, kReceiveTimeout);
  }

  std::unique_ptr<RunningServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

std::string Path(const std::string& rpc) {
  return absl::StrCat("/", v1::TensorTransform::service_full_name(), "/", rpc);
}

TEST_F(ReceiveTimeoutTest, EndsAUnaryCallWhoseRequestNeverComes) {
  const absl::Time start = absl::Now();
  RawCall call(channel_, Path("Apply"));
  ExpectTimedOut(call, start);
}

TEST_F(ReceiveTimeoutTest, EndsAStreamWhoseNextChunkNeverComes) {
  v1::StreamRequest header;
  header.mutable_header()->set_dtype(v1::FLOAT32);
  header.mutable_header()->add_shape(4);
  RawCall call(channel_, Path("ApplyStream"));
  ASSERT_TRUE(call.Write(header.SerializeAsString()));
  ExpectTimedOut(call, absl::Now());
}

TEST_F(ReceiveTimeoutTest, ServesCallsThatSendInTime) {
  auto stub = v1::TensorTransform::NewStub(channel_);
  v1::ApplyRequest request;
  request.mutable_tensor()->set_dtype(v1::INT32);
  request.mutable_tensor()->add_shape(2);
  const int32_t x[] = {-1, 2};
  request.mutable_tensor()->set_data(x, sizeof(x));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    v1::TransformResponse response;
    ASSERT_TRUE(stub->Apply(&context, request, &response).ok());
    const int32_t y[] = {0, 2};
    EXPECT_EQ(response.tensor().data(),
              std::string(reinterpret_cast<const char*>(y), sizeof(y)));
    absl::SleepFor(kReceiveTimeout / 2);  // idle connections are fine
  }
}

}  // namespace
}  // namespace tensor_transform::server
