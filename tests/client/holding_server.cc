#include "tests/client/holding_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"

namespace tensor_transform::client::testing {

namespace v1 = ::tensor_transform::v1;

// Reads every request message, arrives, and answers when released.
class HoldingServer::Call final : public grpc::ServerGenericBidiReactor {
 public:
  Call(HoldingServer* server, grpc::GenericCallbackServerContext* context)
      : server_(server), stream_(absl::EndsWith(context->method(), "Stream")) {
    StartRead(&request_);
  }

  // The response: as many zero bytes as the request's data, in one
  // StreamResponse or TransformResponse.
  void Answer() {
    std::string bytes;
    if (stream_) {
      v1::StreamResponse chunk;
      chunk.set_data(std::string(data_bytes_, '\0'));
      bytes = chunk.SerializeAsString();
    } else {
      v1::TransformResponse response;
      response.mutable_tensor()->set_data(std::string(data_bytes_, '\0'));
      bytes = response.SerializeAsString();
    }
    grpc::Slice slice(bytes);
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) return server_->Arrive(this);  // the client half-closed
    // Unary requests are read as Applies, what the tests send.
    v1::ApplyRequest unary;
    v1::StreamRequest chunk;
    if (stream_ && grpc::SerializationTraits<v1::StreamRequest>::Deserialize(
                       &request_, &chunk)
                       .ok()) {
      data_bytes_ += chunk.data().size();
    } else if (!stream_ &&
               grpc::SerializationTraits<v1::ApplyRequest>::Deserialize(
                   &request_, &unary)
                   .ok()) {
      data_bytes_ = unary.tensor().data().size();
    }
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

  HoldingServer* const server_;
  const bool stream_;
  size_t data_bytes_ = 0;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class HoldingServer::Service final : public grpc::CallbackGenericService {
 public:
  explicit Service(HoldingServer* server) : server_(server) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Call(server_, context);
  }

 private:
  HoldingServer* const server_;
};

HoldingServer::HoldingServer(int hold)
    : hold_(hold), service_(std::make_unique<Service>(this)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port_);
  builder.RegisterCallbackGenericService(service_.get());
  server_ = builder.BuildAndStart();
  EXPECT_NE(server_, nullptr);
}

HoldingServer::~HoldingServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

std::string HoldingServer::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void HoldingServer::Arrive(Call* call) {
  std::vector<Call*> released;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held_.push_back(call);
    if (static_cast<int>(held_.size()) < hold_) return;
    released.swap(held_);
  }
  for (Call* held : released) held->Answer();
}

}  // namespace tensor_transform::client::testing
