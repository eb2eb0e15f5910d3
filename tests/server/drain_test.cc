// Graceful drain of the real binary: on SIGTERM health turns NOT_SERVING,
// new calls are refused, every accepted call finishes with a verified result
// (or is cancelled once --grace_period is over), and the exit status is 0.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proto/tensor_transform.grpc.pb.h"
#include "tests/server/raw_call.h"
#include "tests/server/server_process.h"
#include "tests/server/test_support.h"

namespace tensor_transform::server {
namespace {

using test_support::ServerProcess;
using test_support::StreamRpc;

constexpr int64_t kElements = 1 << 20;    // float32: 4 MiB per stream
constexpr size_t kChunkBytes = 64 << 10;  // 64 chunks
constexpr size_t kFirstHalf = 1 + 32;     // header and 32 chunks

std::shared_ptr<grpc::Channel> Channel(const ServerProcess& server) {
  return grpc::CreateChannel(server.target(),
                             grpc::InsecureChannelCredentials());
}

// A stream whose client sends its messages in two parts, reading responses
// all along: the first part makes it an accepted, in-flight call; the test
// decides when the second part goes.
class TwoPartStream {
 public:
  TwoPartStream(const std::shared_ptr<grpc::Channel>& channel, StreamRpc rpc,
                uint32_t seed)
      : stub_(v1::TensorTransform::NewStub(channel)), rpc_(rpc) {
    const bool gradient = rpc == StreamRpc::kGradient;
    x_ = test_support::RandomBytes(kElements * 4, seed);
    if (gradient) upstream_ = test_support::RandomBytes(kElements * 4, ~seed);
    messages_ = test_support::StreamMessages(
        test_support::HeaderMessage(v1::FLOAT32, {kElements},
                                    gradient ? v1::MULTIPLY : v1::MAXIMUM,
                                    gradient),
        x_, upstream_, kChunkBytes);
    stream_ = Open();
    reader_ = std::thread([this] {
      v1::StreamResponse response;
      while (stream_->Read(&response)) {
        data_ += response.data();
        ++responses_;
      }
    });
    Send(0, kFirstHalf);
  }

  int responses() const { return responses_; }

  // Sends the rest and ends the call: its status, with the data checked
  // against the reference when OK.
  grpc::Status Finish() {
    Send(kFirstHalf, messages_.size());
    stream_->WritesDone();
    reader_.join();
    grpc::Status status = stream_->Finish();
    if (status.ok()) {
      EXPECT_TRUE(test_support::SameBytes(
          data_,
          rpc_ == StreamRpc::kGradient
              ? test_support::ReferenceGradient(v1::FLOAT32, x_, &upstream_)
              : test_support::ReferenceRelu(v1::FLOAT32, x_)));
    }
    return status;
  }

 private:
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>>
  Open() {
    switch (rpc_) {
      case StreamRpc::kApply:
        return stub_->ApplyStream(&context_);
      case StreamRpc::kApplyInPlace:
        return stub_->ApplyInPlaceStream(&context_);
      case StreamRpc::kGradient:
        break;
    }
    return stub_->GradientStream(&context_);
  }

  void Send(size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (!stream_->Write(messages_[i])) return;
    }
  }

  std::unique_ptr<v1::TensorTransform::Stub> stub_;
  StreamRpc rpc_;
  std::string x_, upstream_;
  std::vector<v1::StreamRequest> messages_;
  grpc::ClientContext context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>>
      stream_;
  std::atomic<int> responses_{0};
  std::string data_;
  std::thread reader_;
};

void AwaitResponses(const std::vector<std::unique_ptr<TwoPartStream>>& streams,
                    int count) {
  for (const auto& stream : streams) {
    for (int i = 0; i < 3000 && stream->responses() < count; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(stream->responses(), count);
  }
}

grpc::Status DescribeOnANewChannel(const ServerProcess& server) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  v1::DescribeResponse response;
  return v1::TensorTransform::NewStub(Channel(server))
      ->Describe(&context, v1::DescribeRequest(), &response);
}

TEST(Drain, FinishesAcceptedStreamsRefusesNewCallsAndExitsZero) {
  auto server = ServerProcess::Start({"--grace_period=60s"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::unique_ptr<TwoPartStream>> streams;
  for (StreamRpc rpc : {StreamRpc::kApply, StreamRpc::kApplyInPlace,
                        StreamRpc::kGradient, StreamRpc::kApply}) {
    // Each on its own connection, as separate clients would be.
    streams.push_back(std::make_unique<TwoPartStream>(
        Channel(**server), rpc, static_cast<uint32_t>(streams.size() + 1)));
  }
  AwaitResponses(streams, 32);
  test_support::RawCall watch(Channel(**server),
                              "/grpc.health.v1.Health/Watch");
  watch.Write("");
  watch.WritesDone();
  EXPECT_EQ(test_support::VarintField(watch.Read().value_or(""), 1), 1u);

  (*server)->Signal(SIGTERM);
  EXPECT_EQ(test_support::VarintField(watch.Read().value_or(""), 1),
            2u);  // NOT_SERVING
  // Calls that raced the signal may still have been taken (or cancelled
  // unserved); from the moment the listener closes, every new call is
  // refused, while the accepted streams go on.
  grpc::StatusCode code = grpc::StatusCode::OK;
  for (int i = 0; i < 100 && code != grpc::StatusCode::UNAVAILABLE; ++i) {
    code = DescribeOnANewChannel(**server).error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::UNAVAILABLE);
  for (auto& stream : streams) {
    grpc::Status st = stream->Finish();
    EXPECT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  }
  EXPECT_EQ((*server)->WaitExit(), 0) << (*server)->Log();
}

TEST(Drain, CancelsCallsStillRunningAfterTheGracePeriod) {
  auto server = ServerProcess::Start({"--grace_period=1s"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::unique_ptr<TwoPartStream>> streams;
  streams.push_back(
      std::make_unique<TwoPartStream>(Channel(**server), StreamRpc::kApply, 9));
  AwaitResponses(streams, 32);
  (*server)->Signal(SIGTERM);
  // The stream never sends its second part on its own: the server must end
  // it and exit.
  EXPECT_EQ((*server)->WaitExit(), 0) << (*server)->Log();
  EXPECT_FALSE(streams[0]->Finish().ok());
}

}  // namespace
}  // namespace tensor_transform::server
