// Each transform RPC is bound to its handler by its full name: a table that
// gave one RPC's name another's behaviour fails here.
#include "server/rpc/rpcs.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"

namespace tensor_transform::server {
namespace {

const TransformRpc* Find(const std::string& rpc) {
  return FindTransformRpc(absl::StrCat(
      "/", tensor_transform::v1::TensorTransform::service_full_name(), "/",
      rpc));
}

TEST(TransformRpcs, HandlersAreBoundToTheirRpcsByName) {
  struct Expected {
    std::string name;
    bool stream, in_place, gradient;
  };
  const Expected expected[] = {
      {"Apply", false, false, false},
      {"ApplyInPlace", false, true, false},
      {"Gradient", false, true, true},
      {"ApplyStream", true, false, false},
      {"ApplyInPlaceStream", true, true, false},
      {"GradientStream", true, true, true},
  };
  for (const Expected& e : expected) {
    const TransformRpc* rpc = Find(e.name);
    ASSERT_NE(rpc, nullptr) << e.name;
    EXPECT_EQ(rpc->name, e.name);
    EXPECT_EQ(rpc->stream, e.stream) << e.name;
    EXPECT_EQ(rpc->in_place, e.in_place) << e.name;
    EXPECT_EQ(rpc->gradient, e.gradient) << e.name;
  }
  EXPECT_EQ(TransformRpcs().size(), std::size(expected));
}

TEST(TransformRpcs, EveryRpcOfTheProtoButDescribeAndSharedMemoryIsATransform) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          tensor_transform::v1::TensorTransform::service_full_name());
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string name = service->method(i)->name();
    const bool transform =
        name != "Describe" && name.rfind("SystemSharedMemory", 0) != 0;
    EXPECT_EQ(Find(name) != nullptr, transform) << name;
  }
}

TEST(TransformRpcs, RefusesOtherPaths) {
  EXPECT_EQ(FindTransformRpc("/tensor_transform.v1.TensorTransform/Relu"),
            nullptr);
  EXPECT_EQ(FindTransformRpc("/other.Service/Apply"), nullptr);
  EXPECT_EQ(FindTransformRpc("Apply"), nullptr);
  EXPECT_EQ(FindTransformRpc(""), nullptr);
}

}  // namespace
}  // namespace tensor_transform::server
