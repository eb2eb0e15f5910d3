#include "server/rpc/rpcs.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "proto/tensor_transform.grpc.pb.h"

namespace tensor_transform::server {
namespace {

constexpr TransformRpc kRpcs[] = {
    {"Apply", /*stream=*/false, /*in_place=*/false, /*gradient=*/false},
    {"ApplyInPlace", /*stream=*/false, /*in_place=*/true, /*gradient=*/false},
    {"Gradient", /*stream=*/false, /*in_place=*/true, /*gradient=*/true},
    {"ApplyStream", /*stream=*/true, /*in_place=*/false, /*gradient=*/false},
    {"ApplyInPlaceStream", /*stream=*/true, /*in_place=*/true,
     /*gradient=*/false},
    {"GradientStream", /*stream=*/true, /*in_place=*/true, /*gradient=*/true},
};

}  // namespace

absl::Span<const TransformRpc> TransformRpcs() { return kRpcs; }

const TransformRpc* FindTransformRpc(absl::string_view path) {
  static const std::string* const prefix = new std::string(absl::StrCat(
      "/", tensor_transform::v1::TensorTransform::service_full_name(), "/"));
  if (!absl::ConsumePrefix(&path, *prefix)) return nullptr;
  for (const TransformRpc& rpc : kRpcs) {
    if (rpc.name == path) return &rpc;
  }
  return nullptr;
}

}  // namespace tensor_transform::server
