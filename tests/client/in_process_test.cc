// Over an in-process channel the server receives the client's own buffers
// (the client sends its array without copying it): the in-place RPCs must
// then compute into a buffer of the server's, never into the sender's
// memory.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "client/tensor_client.h"
#include "tests/client/test_server.h"

namespace tensor_transform::client {
namespace {

std::string Doubles(const std::vector<double>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()),
                     values.size() * sizeof(double));
}

TEST(InProcessChannel, InPlaceRpcsNeverWriteTheSendersMemory) {
  testing::TestServer server;
  TensorClient client(
      server.server().InProcessChannel(grpc::ChannelArguments()));
  const std::vector<double> x = {-1.5, 2.0, -0.0, 3.0, -7.0};
  for (Rpc rpc : {Rpc::kApplyInPlace, Rpc::kGradient}) {
    CallSpec spec{rpc, std::nullopt, core::DType::kFloat64, {5}};
    Payload payload(spec, Doubles(x));
    CallResult result;
    ASSERT_TRUE(client.Call(payload, &result).ok()) << RpcName(rpc);
    EXPECT_EQ(payload.x(), Doubles(x)) << RpcName(rpc) << " wrote the input";
    const std::vector<double> expected =
        rpc == Rpc::kApplyInPlace ? std::vector<double>{0, 2, 0, 3, 0}
                                  : std::vector<double>{0, 1, 0, 1, 0};
    EXPECT_EQ(result.data, Doubles(expected)) << RpcName(rpc);
  }
}

}  // namespace
}  // namespace tensor_transform::client
