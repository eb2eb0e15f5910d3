// A blocking client for the TensorTransform service: one call of any RPC in
// unary or streaming mode, with the server's compute time.
//
//   TensorClient client(MakeChannel("127.0.0.1:50051"));
//   CallSpec spec{Rpc::kApply, core::Method::kMaximum, core::DType::kFloat64,
//                 {5000, 5000}, Mode::kStream};
//   Payload payload(spec, std::move(x_bytes));  // encoded once, reusable
//   CallResult result;
//   absl::Status status = client.Call(payload, &result);
//   // result.serialize_ns, result.deserialize_ns: the client's own work.
//
// Tensors in the client's shared-memory regions (client/shared_memory.h)
// travel as references: CallInto on spans of a region moves no payload.
#ifndef TENSOR_TRANSFORM_CLIENT_TENSOR_CLIENT_H_
#define TENSOR_TRANSFORM_CLIENT_TENSOR_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/types.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "proto/wire.h"

namespace tensor_transform::client {

// Bytes per streamed chunk unless told otherwise: what the server
// recommends (Describe's recommended_chunk_bytes).
inline constexpr int64_t kDefaultChunkBytes =
    wire::kDefaultRecommendedChunkBytes;

enum class Rpc { kApply, kApplyInPlace, kGradient };
// kSharedMemory: a unary call whose operands all lie in shared-memory
// regions of the client, sent as references (CallInto, StartCallInto).
enum class Mode { kUnary, kStream, kSharedMemory };

absl::string_view RpcName(Rpc rpc);     // "apply", "inplace", "gradient"
absl::string_view ModeName(Mode mode);  // "unary", "stream", "shm"
std::optional<Rpc> ParseRpc(absl::string_view name);
std::optional<Mode> ParseMode(absl::string_view name);

struct CallSpec {
  Rpc rpc = Rpc::kApply;
  std::optional<core::Method> method;  // nullopt: the server's default
  core::DType dtype = core::DType::kFloat64;
  std::vector<int64_t> shape;
  Mode mode = Mode::kUnary;
  int64_t chunk_bytes = kDefaultChunkBytes;  // stream mode only
};

struct CallResult {
  std::string data;  // the transformed tensor's bytes
  tensor_transform::v1::Method method =
      tensor_transform::v1::METHOD_UNSPECIFIED;
  int64_t server_compute_ns = 0;  // summed over chunks when streaming
  // The client's own work, summed over chunks when streaming: building and
  // encoding the request messages, and decoding the responses and copying
  // their data out. Streams overlap this work with the transport.
  int64_t serialize_ns = 0;
  int64_t deserialize_ns = 0;
};

struct CallOptions {
  // Deadline of the call from its start; past it the call fails with
  // DEADLINE_EXCEEDED.
  absl::Duration timeout = absl::InfiniteDuration();
};

// A call's tensors in the caller's memory (TensorClient::CallInto): `x` and
// `upstream` are sent without copying, and the result is written into `out`.
// All three must stay valid until the call returns. `out` may be `x` itself
// (or `upstream`): every part of the result arrives after the part of the
// request it replaces has been sent. Operands that lie in a shared-memory
// region of the client are sent as references and the result is written
// into `out` by the server when `out` lies in one (client/shared_call.h).
struct CallBuffers {
  absl::Span<const uint8_t> x;         // spec.dtype / spec.shape's bytes
  absl::Span<const uint8_t> upstream;  // Rpc::kGradient only; empty: none
  absl::Span<uint8_t> out;             // as many bytes as x
};

// A channel whose message limits allow `max_message_bytes` each way. Every
// channel opens its own connection (no subchannel sharing between channels),
// so that N channels to one target are N connections. `target` is any gRPC
// name; calls are balanced round-robin over all the addresses it resolves
// to, e.g. "ipv4:127.0.0.1:50051,127.0.0.1:50052".
// Null `credentials` means plaintext. `args` may carry further channel
// arguments; the ones above are set over them.
std::shared_ptr<grpc::Channel> MakeChannel(
    const std::string& target, int64_t max_message_bytes = int64_t{512} << 20,
    std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr,
    grpc::ChannelArguments args = {});

// The client-side mirror of the server's status conversion.
absl::Status ToAbslStatus(const grpc::Status& status);

// A call's inputs. Unary calls send the tensors from these buffers without
// copying them (proto/tensor_slices.h); streaming calls cut their chunks from
// the same bytes.
class Payload {
 public:
  // `x` holds the raw bytes of spec.dtype/spec.shape; `upstream` is used only
  // by Rpc::kGradient, empty meaning none (all ones).
  Payload(const CallSpec& spec, std::string x, std::string upstream = "");

  const CallSpec& spec() const { return spec_; }
  // Changes the method and mode of later calls; the encoded tensor stays.
  void Retarget(std::optional<core::Method> method, Mode mode);
  const std::string& x() const { return x_; }
  const std::string& upstream() const { return upstream_; }  // empty: none
  // The unary request, its tensors' data referring to x() and upstream().
  grpc::ByteBuffer UnaryRequest() const;

 private:
  CallSpec spec_;
  std::string x_;
  std::string upstream_;
};

class SharedMemoryRegistry;

class TensorClient {
 public:
  explicit TensorClient(std::shared_ptr<grpc::Channel> channel);
  // Ends the shared-memory lease: the server drops this client's regions.
  ~TensorClient();
  TensorClient(const TensorClient&) = delete;
  TensorClient& operator=(const TensorClient&) = delete;

  // Runs one call. `result` is overwritten; its buffer is reused across
  // calls where the mode allows. Returns the server's status on failure;
  // DataLoss when a stream returns more or less data than it was sent.
  // Thread-safe: calls may run on many threads at once.
  absl::Status Call(const Payload& payload, CallResult* result,
                    const CallOptions& options = {});

  // Starts one call on `cq` and returns at once: the thread driving `cq`
  // (generic_call.h) runs `done` with what Call would return. `payload` and
  // `result` must stay valid until then. Thread-safe. A payload of mode
  // kSharedMemory (its buffers lie in no region) fails at once: `done` runs
  // before StartCall returns.
  using CallDone = absl::AnyInvocable<void(absl::Status)>;
  void StartCall(const Payload& payload, CallResult* result,
                 const CallOptions& options, grpc::CompletionQueue* cq,
                 CallDone done);

  // Runs one call of `spec` on `buffers`, writing the result into
  // buffers.out; result->data is left untouched. InvalidArgument when out
  // or a non-empty upstream differs from x in size, or upstream is given to
  // another RPC than Gradient, or spec.mode is kSharedMemory and an operand
  // lies outside the client's regions; otherwise as Call.
  absl::Status CallInto(const CallSpec& spec, const CallBuffers& buffers,
                        CallResult* result, const CallOptions& options = {});

  // CallInto started on `cq` as StartCall: returns CallInto's
  // InvalidArgument without starting a call, else OK and `done` runs later.
  // `buffers`' memory and `result` must stay valid until then.
  absl::Status StartCallInto(const CallSpec& spec, const CallBuffers& buffers,
                             CallResult* result, const CallOptions& options,
                             grpc::CompletionQueue* cq, CallDone done);

  // The lease and regions of this client (SharedMemoryRegion::Create).
  const std::shared_ptr<SharedMemoryRegistry>& shared_memory() const {
    return shared_memory_;
  }

  absl::StatusOr<tensor_transform::v1::DescribeResponse> Describe(
      absl::Duration timeout = absl::InfiniteDuration());

 private:
  // One unary call of `rpc` sending `request`; the response's data (none
  // when `out` is empty) is copied into `out`.
  void StartUnary(Rpc rpc, const grpc::ByteBuffer& request,
                  absl::Span<uint8_t> out, CallResult* result,
                  std::unique_ptr<grpc::ClientContext> context,
                  grpc::CompletionQueue* cq, CallDone done);
  void StartStream(const CallSpec& spec, const CallBuffers& buffers,
                   CallResult* result,
                   std::unique_ptr<grpc::ClientContext> context,
                   grpc::CompletionQueue* cq, CallDone done);

  std::unique_ptr<tensor_transform::v1::TensorTransform::Stub> stub_;
  // Transform calls go through it with messages serialized here, so that
  // the client's serialization time is measured apart from the call.
  grpc::GenericStub generic_;
  std::shared_ptr<SharedMemoryRegistry> shared_memory_;
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_TENSOR_CLIENT_H_
