#include "server/rpc/service.h"

#include <grpcpp/generic/async_generic_service.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/fastest_method.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/rpc/rpcs.h"
#include "server/rpc/shared_memory_rpcs.h"
#include "server/rpc/stream_call.h"
#include "server/rpc/unary_call.h"
#include "server/rpc/validation.h"

namespace tensor_transform::server {
namespace {

namespace v1 = ::tensor_transform::v1;

// Output buffers kept for reuse: two 200 MB payloads. They are reserved in
// the memory budget while idle, so a small budget keeps fewer.
constexpr size_t kMaxIdleOutputBytes = size_t{512} << 20;

using Generated = v1::TensorTransform;

// The generated service: every transform RPC left to the generic service
// (each marked by the generated class named after it), Describe and the
// shared-memory RPCs on the callback API.
using SharedMemoryMethods =
    Generated::WithCallbackMethod_SystemSharedMemoryLease<
        Generated::WithCallbackMethod_SystemSharedMemoryRegister<
            Generated::WithCallbackMethod_SystemSharedMemoryUnregister<
                Generated::WithCallbackMethod_SystemSharedMemoryStatus<
                    Generated::Service>>>>;
using CallbackMethods =
    Generated::WithCallbackMethod_Describe<SharedMemoryMethods>;
using CallbackBase = Generated::WithGenericMethod_Apply<
    Generated::WithGenericMethod_ApplyInPlace<
        Generated::WithGenericMethod_Gradient<
            Generated::WithGenericMethod_ApplyStream<
                Generated::WithGenericMethod_ApplyInPlaceStream<
                    Generated::WithGenericMethod_GradientStream<
                        CallbackMethods>>>>>>;

// Finishes a unary callback call with `status` at once.
grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// Ends a call of a method this server does not have.
class Unimplemented final : public grpc::ServerGenericBidiReactor {
 public:
  explicit Unimplemented(const std::string& method) {
    Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                        absl::StrCat("method ", method, " is not served")));
  }
  void OnDone() override { delete this; }
};

void AddRpcMethods(absl::string_view rpc,
                   absl::Span<const core::Method> methods,
                   v1::DescribeResponse* response) {
  v1::DescribeResponse::RpcMethods* entry = response->add_rpc_methods();
  entry->set_rpc(std::string(rpc));
  for (core::Method method : methods) {
    entry->add_methods(wire::MethodToProto(method));
  }
}

}  // namespace

class TensorTransformService::Transforms final
    : public grpc::CallbackGenericService {
 public:
  explicit Transforms(const CallEnv& env) : env_(env) {}

  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    const TransformRpc* rpc = FindTransformRpc(context->method());
    if (rpc == nullptr) return new Unimplemented(context->method());
    if (rpc->stream) return new StreamCall(env_, *rpc, context);
    return new UnaryCall(env_, *rpc, context);
  }

 private:
  const CallEnv env_;
};

class TensorTransformService::Callbacks final : public CallbackBase {
 public:
  explicit Callbacks(const ServiceConfig& config)
      : config_(config), shared_memory_(config.shared_memory) {}

  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const v1::DescribeRequest* /*request*/,
                                     v1::DescribeResponse* response) override {
    Fill(response);
    return Finished(context, grpc::Status::OK);
  }

  grpc::ServerWriteReactor<v1::SystemSharedMemoryLeaseResponse>*
  SystemSharedMemoryLease(
      grpc::CallbackServerContext* context,
      const v1::SystemSharedMemoryLeaseRequest* /*request*/) override {
    return shared_memory_.StartLease(context);
  }

  grpc::ServerUnaryReactor* SystemSharedMemoryRegister(
      grpc::CallbackServerContext* context,
      const v1::SystemSharedMemoryRegisterRequest* request,
      v1::SystemSharedMemoryRegisterResponse* /*response*/) override {
    return Finished(context, shared_memory_.Register(*context, *request));
  }

  grpc::ServerUnaryReactor* SystemSharedMemoryUnregister(
      grpc::CallbackServerContext* context,
      const v1::SystemSharedMemoryUnregisterRequest* request,
      v1::SystemSharedMemoryUnregisterResponse* /*response*/) override {
    return Finished(context, shared_memory_.Unregister(*context, *request));
  }

  grpc::ServerUnaryReactor* SystemSharedMemoryStatus(
      grpc::CallbackServerContext* context,
      const v1::SystemSharedMemoryStatusRequest* request,
      v1::SystemSharedMemoryStatusResponse* response) override {
    return Finished(context,
                    shared_memory_.Status(*context, *request, response));
  }

  void EndLeases() { shared_memory_.EndLeases(); }

 private:
  void Fill(v1::DescribeResponse* response) const {
    response->add_transforms("relu");
    for (core::DType dtype : core::kAllDTypes) {
      response->add_dtypes(wire::DTypeToProto(dtype));
    }
    for (const TransformRpc& rpc : TransformRpcs()) {
      if (rpc.gradient) {
        AddRpcMethods(rpc.name, {kGradientMethod}, response);
      } else {
        AddRpcMethods(rpc.name, core::kAllMethods, response);
      }
    }
    response->set_default_method(
        wire::MethodToProto(core::FastestMethod(core::DType::kFloat64)));
    response->set_max_message_bytes(config_.max_message_bytes);
    response->set_max_rank(kMaxRank);
    response->set_max_stream_elements(config_.max_stream_elements);
    response->set_recommended_chunk_bytes(config_.recommended_chunk_bytes);
    if (config_.shared_memory != nullptr) {
      response->set_shared_memory(true);
      response->set_shared_memory_prefix(config_.shared_memory->prefix());
    }
  }

  const ServiceConfig& config_;
  SharedMemoryRpcs shared_memory_;
};

TensorTransformService::TensorTransformService(const ServiceConfig& config)
    : config_(config),
      output_buffers_(BufferPool::Create(kMaxIdleOutputBytes, config.budget)),
      watchdog_(config.receive_timeout) {
  if (config_.budget != nullptr) {
    config_.budget->SetReclaimer([pool = output_buffers_] { pool->Trim(); });
  }
  CallEnv env;
  env.guard = config_.guard;
  env.pool = output_buffers_.get();
  env.watchdog = &watchdog_;
  env.max_stream_elements = config_.max_stream_elements;
  env.shared_memory = config_.shared_memory;
  transforms_ = std::make_unique<Transforms>(env);
  callbacks_ = std::make_unique<Callbacks>(config_);
}

TensorTransformService::~TensorTransformService() {
  output_buffers_->DetachBudget();
}

void TensorTransformService::EndLeases() { callbacks_->EndLeases(); }

void TensorTransformService::Register(grpc::ServerBuilder* builder) {
  builder->RegisterService(callbacks_.get());
  builder->RegisterCallbackGenericService(transforms_.get());
}

}  // namespace tensor_transform::server
