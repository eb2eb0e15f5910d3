// The calls of the soak test: each a random RPC of the service (unary or
// streaming, every dtype) or of its ecosystem (Describe, health), of a
// random size from bytes to hundreds of MB, or one of a set of malformed
// requests; each checked against the status it may end with and, when OK,
// against the core's reference bit for bit.
//
//   SoakClient client(channel, seed, sizes, &huge_gate);
//   SoakOutcome outcome = client.RunOne();
//   if (outcome.verdict == Verdict::kUnexpected) ...
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_SOAK_CALLS_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_SOAK_CALLS_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "proto/tensor_transform.grpc.pb.h"

namespace tensor_transform::server::test_support {

enum class Verdict {
  kVerified,  // OK, and the result equals the reference
  kRejected,  // a malformed request refused with its exact status
  kShed,      // refused unprocessed under load: RESOURCE_EXHAUSTED, or
              // UNAVAILABLE for a connection gRPC's quota reclaimed
  kUnexpected,
};

struct SoakOutcome {
  std::string rpc;  // "ApplyStream", "Gradient", "malformed: ..."
  Verdict verdict = Verdict::kUnexpected;
  std::string detail;  // the status, for kUnexpected
  int64_t bytes = 0;   // tensor bytes sent
};

// Lets at most `slots` huge calls (hundreds of MB) run at once, so that the
// test's own memory stays bounded while the server sees them.
class HugeGate {
 public:
  explicit HugeGate(int slots) : free_(slots) {}
  // False, without waiting, when every slot is taken.
  bool TryEnter();
  void Leave();

 private:
  std::mutex mu_;  // guards the members below
  int free_;
};

struct SoakSizes {
  int64_t huge_unary_bytes = int64_t{200} << 20;
  int64_t huge_stream_bytes = int64_t{400} << 20;
  int64_t chunk_bytes = int64_t{4} << 20;
  double huge_share = 0.02;       // of the calls (when a slot is free)
  double malformed_share = 0.10;  // of the calls
  double ecosystem_share = 0.05;  // Describe and health checks
};

class SoakClient {
 public:
  SoakClient(std::shared_ptr<grpc::Channel> channel, uint32_t seed,
             const SoakSizes& sizes, HugeGate* gate);

  // One random call, run to its end and judged.
  SoakOutcome RunOne();

 private:
  SoakOutcome RunTensorCall(int64_t bytes);
  SoakOutcome RunMalformed();
  SoakOutcome RunEcosystemCall();
  int64_t RandomSize();

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TensorTransform::Stub> stub_;
  std::mt19937_64 rng_;
  SoakSizes sizes_;
  HugeGate* gate_;
};

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_SOAK_CALLS_H_
