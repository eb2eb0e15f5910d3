// Whether a target answers, for container health checks and scripts:
// grpc.health.v1.Health/Check of the whole server (service "") when the
// server runs gRPC's health service, else Describe.
//
//   HealthResult health = CheckHealth(MakeChannel(target), absl::Seconds(5));
//   return health.healthy ? 0 : 1;
#ifndef TENSOR_TRANSFORM_CLIENT_HEALTH_H_
#define TENSOR_TRANSFORM_CLIENT_HEALTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/time.h"

namespace tensor_transform::client {

struct HealthResult {
  bool healthy = false;
  // What answered and how: "grpc.health.v1: SERVING",
  // "grpc.health.v1: NOT_SERVING", "Describe: OK (the server has no health
  // service)", or the failed call's status.
  std::string detail;
};

// Healthy when Health/Check answers SERVING, or when the server has no
// health service (UNIMPLEMENTED) and Describe answers. Each call gets
// `timeout`; an unreachable target fails within it.
HealthResult CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         absl::Duration timeout);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_HEALTH_H_
