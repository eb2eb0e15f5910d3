#include "server/rpc/service.h"

#include <grpcpp/generic/async_generic_service.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/fastest_method.h"
#include "proto/tensor_transform.grpc.pb.h"
#include "server/rpc/rpcs.h"
#include "server/rpc/stream_call.h"
#include "server/rpc/unary_call.h"
#include "server/rpc/validation.h"

namespace tensor_transform::server {
namespace {

namespace v1 = ::tensor_transform::v1;

// Output buffers kept for reuse: two 200 MB payloads. They are reserved in
// the memory budget while idle, so a small budget keeps fewer.
constexpr size_t kMaxIdleOutputBytes = size_t{512} << 20;

// The generated service with every transform RPC left to the generic
// service (each marked by the generated class named after it) and Describe
// on the callback API.
using DescribeBase = v1::TensorTransform::WithGenericMethod_Apply<
    v1::TensorTransform::WithGenericMethod_ApplyInPlace<
        v1::TensorTransform::WithGenericMethod_Gradient<
            v1::TensorTransform::WithGenericMethod_ApplyStream<
                v1::TensorTransform::WithGenericMethod_ApplyInPlaceStream<
                    v1::TensorTransform::WithGenericMethod_GradientStream<
                        v1::TensorTransform::WithCallbackMethod_Describe<
                            v1::TensorTransform::Service>>>>>>>;

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

class TensorTransformService::Describer final : public DescribeBase {
 public:
  explicit Describer(const ServiceConfig& config) : config_(config) {}

  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const v1::DescribeRequest* /*request*/,
                                     v1::DescribeResponse* response) override {
    Fill(response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

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
  }

  const ServiceConfig& config_;
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
  transforms_ = std::make_unique<Transforms>(env);
  describer_ = std::make_unique<Describer>(config_);
}

TensorTransformService::~TensorTransformService() {
  output_buffers_->DetachBudget();
}

void TensorTransformService::Register(grpc::ServerBuilder* builder) {
  builder->RegisterService(describer_.get());
  builder->RegisterCallbackGenericService(transforms_.get());
}

}  // namespace tensor_transform::server
