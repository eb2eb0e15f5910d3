#include "server/rpc/shared_memory_rpcs.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/rpc/status_convert.h"
#include "server/rpc/transform_call.h"
#include "server/shm/peer.h"

namespace tensor_transform::server {

absl::Status SharedMemoryAccess(const shm::Registry* registry,
                                const grpc::ServerContextBase& context) {
  if (registry == nullptr) {
    return absl::FailedPreconditionError(
        "shared memory is off: start the server with --allow_shared_memory");
  }
  const std::string peer = context.peer();
  if (!shm::IsLocalPeer(peer)) {
    return absl::PermissionDeniedError(
        absl::StrCat("peer '", peer,
                     "' is not on this host: shared memory is served only "
                     "over a Unix socket or loopback"));
  }
  return absl::OkStatus();
}

class SharedMemoryRpcs::LeaseCall final
    : public grpc::ServerWriteReactor<v1::SystemSharedMemoryLeaseResponse> {
 public:
  explicit LeaseCall(SharedMemoryRpcs* owner) : owner_(owner) {}

  // Opens the lease and sends its token, or ends the call.
  void Start(const grpc::CallbackServerContext& context) {
    absl::Status access = SharedMemoryAccess(owner_->registry_, context);
    if (!access.ok()) return End(ToGrpcStatus(access));
    absl::StatusOr<std::string> lease = owner_->registry_->OpenLease();
    if (!lease.ok()) return End(ToGrpcStatus(lease.status()));
    lease_ = *std::move(lease);
    response_.set_lease(lease_);
    StartWrite(&response_);
  }

  // Ends the call once; touches nothing of it after Finish, which may
  // complete (and delete it) at once.
  void End(const grpc::Status& status) {
    if (!ended_.exchange(true)) Finish(status);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) End(Cancelled());
  }
  void OnCancel() override { End(Cancelled()); }
  void OnDone() override {
    owner_->Remove(this);
    if (!lease_.empty()) owner_->registry_->EndLease(lease_);
    delete this;
  }

 private:
  SharedMemoryRpcs* const owner_;
  std::string lease_;  // empty: none was opened
  v1::SystemSharedMemoryLeaseResponse response_;
  std::atomic<bool> ended_{false};
};

grpc::ServerWriteReactor<v1::SystemSharedMemoryLeaseResponse>*
SharedMemoryRpcs::StartLease(grpc::CallbackServerContext* context) {
  auto* call = new LeaseCall(this);
  call->Start(*context);
  // gRPC runs no reaction (OnDone included) before the reactor is returned.
  std::lock_guard<std::recursive_mutex> lock(mu_);
  leases_.insert(call);
  return call;
}

void SharedMemoryRpcs::Remove(LeaseCall* call) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  leases_.erase(call);
}

void SharedMemoryRpcs::EndLeases() {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  const std::vector<LeaseCall*> calls(leases_.begin(), leases_.end());
  for (LeaseCall* call : calls) {
    call->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                           "the server is draining: its shared memory "
                           "leases end, and their regions with them"));
  }
}

grpc::Status SharedMemoryRpcs::Register(
    const grpc::ServerContextBase& context,
    const v1::SystemSharedMemoryRegisterRequest& request) {
  absl::Status access = SharedMemoryAccess(registry_, context);
  if (!access.ok()) return ToGrpcStatus(access);
  return ToGrpcStatus(registry_->Register(
      request.lease(),
      {request.name(), request.key(), request.offset(), request.byte_size()}));
}

grpc::Status SharedMemoryRpcs::Unregister(
    const grpc::ServerContextBase& context,
    const v1::SystemSharedMemoryUnregisterRequest& request) {
  absl::Status access = SharedMemoryAccess(registry_, context);
  if (!access.ok()) return ToGrpcStatus(access);
  return ToGrpcStatus(registry_->Unregister(request.lease(), request.name()));
}

grpc::Status SharedMemoryRpcs::Status(
    const grpc::ServerContextBase& context,
    const v1::SystemSharedMemoryStatusRequest& request,
    v1::SystemSharedMemoryStatusResponse* response) {
  absl::Status access = SharedMemoryAccess(registry_, context);
  if (!access.ok()) return ToGrpcStatus(access);
  absl::StatusOr<std::vector<shm::RegionSpec>> specs =
      registry_->Status(request.name());
  if (!specs.ok()) return ToGrpcStatus(specs.status());
  for (const shm::RegionSpec& spec : *specs) {
    v1::SystemSharedMemoryStatusResponse::RegionStatus& status =
        (*response->mutable_regions())[spec.name];
    status.set_name(spec.name);
    status.set_key(spec.key);
    status.set_offset(spec.offset);
    status.set_byte_size(spec.byte_size);
  }
  return grpc::Status::OK;
}

}  // namespace tensor_transform::server
