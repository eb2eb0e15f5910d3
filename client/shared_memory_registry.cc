#include "client/shared_memory_registry.h"

#include <chrono>
#include <condition_variable>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/tensor_client.h"

namespace tensor_transform::client {
namespace {

// Deadline of the management calls (Describe, Register, Unregister) and of
// the lease's first message: they do no work proportional to the data.
constexpr absl::Duration kManagementTimeout = absl::Seconds(10);
// The server's default, for a server that names none.
constexpr char kDefaultPrefix[] = "tensor_transform_";

void SetManagementDeadline(grpc::ClientContext* context) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + kManagementTimeout));
}

}  // namespace

// The lease call: its first message carries the token; the call then stays
// open, a read pending, until it is cancelled or the server ends it.
class SharedMemoryRegistry::Lease final
    : public grpc::ClientReadReactor<v1::SystemSharedMemoryLeaseResponse> {
 public:
  explicit Lease(v1::TensorTransform::Stub* stub) {
    stub->async()->SystemSharedMemoryLease(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }

  // The token, once the first message has come; the call's status when it
  // ended before one came; DeadlineExceeded when none came in time.
  absl::StatusOr<std::string> Token() {
    std::unique_lock<std::mutex> lock(mu_);
    const bool answered =
        cv_.wait_for(lock, absl::ToChronoNanoseconds(kManagementTimeout),
                     [this] { return token_.has_value() || done_; });
    if (token_) return *token_;
    if (!answered) {
      return absl::DeadlineExceededError(
          absl::StrCat("SystemSharedMemoryLease: no lease within ",
                       absl::FormatDuration(kManagementTimeout)));
    }
    return ToAbslStatus(status_);
  }

  bool ended() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

  // Cancels the call and waits until gRPC is done with this object.
  void End() {
    context_.TryCancel();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) return;  // the call is ending: OnDone follows
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!token_) token_ = response_.lease();
      cv_.notify_all();
    }
    // The server sends nothing more: this read completes when the call ends.
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    // Notified under the lock: End's caller may destroy this object as soon
    // as it sees done_.
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }

  grpc::ClientContext context_;
  v1::SystemSharedMemoryLeaseRequest request_;
  v1::SystemSharedMemoryLeaseResponse response_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::string> token_;  // guarded by mu_
  grpc::Status status_;               // guarded by mu_
  bool done_ = false;                 // guarded by mu_
};

SharedMemoryRegistry::SharedMemoryRegistry(
    std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::TensorTransform::NewStub(std::move(channel))) {}

SharedMemoryRegistry::~SharedMemoryRegistry() { Close(); }

absl::StatusOr<std::string> SharedMemoryRegistry::KeyPrefix() {
  std::lock_guard<std::mutex> lock(lease_mu_);
  if (!prefix_) {
    grpc::ClientContext context;
    SetManagementDeadline(&context);
    v1::DescribeResponse response;
    const grpc::Status status =
        stub_->Describe(&context, v1::DescribeRequest(), &response);
    if (!status.ok()) return ToAbslStatus(status);
    prefix_ = response.shared_memory_prefix().empty()
                  ? kDefaultPrefix
                  : response.shared_memory_prefix();
  }
  return *prefix_;
}

absl::Status SharedMemoryRegistry::OpenLease() {
  std::lock_guard<std::mutex> lock(lease_mu_);
  return LeaseToken().status();
}

absl::StatusOr<std::string> SharedMemoryRegistry::LeaseToken() {
  // A lease the server ended (it restarted, or dropped the connection) took
  // its regions with it; new ones go under a new lease.
  if (lease_ != nullptr && lease_->ended()) lease_.reset();
  if (lease_ == nullptr) lease_ = std::make_unique<Lease>(stub_.get());
  absl::StatusOr<std::string> token = lease_->Token();
  if (!token.ok()) {
    lease_->End();
    lease_.reset();
  }
  return token;
}

absl::Status SharedMemoryRegistry::Register(const std::string& name,
                                            const std::string& key,
                                            absl::Span<uint8_t> memory) {
  // Held throughout, so that Close cannot end the lease between the call
  // and the entry.
  std::lock_guard<std::mutex> lock(lease_mu_);
  absl::StatusOr<std::string> token = LeaseToken();
  if (!token.ok()) return token.status();
  v1::SystemSharedMemoryRegisterRequest request;
  request.set_name(name);
  request.set_key(key);
  request.set_offset(0);
  request.set_byte_size(memory.size());
  request.set_lease(*token);
  grpc::ClientContext context;
  SetManagementDeadline(&context);
  v1::SystemSharedMemoryRegisterResponse response;
  const grpc::Status status =
      stub_->SystemSharedMemoryRegister(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  std::lock_guard<std::mutex> regions_lock(regions_mu_);
  regions_[reinterpret_cast<uintptr_t>(memory.data())] = {name, memory.size()};
  region_count_ = regions_.size();
  return absl::OkStatus();
}

absl::Status SharedMemoryRegistry::Unregister(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(regions_mu_);
    auto it = regions_.begin();
    while (it != regions_.end() && it->second.name != name) ++it;
    if (it == regions_.end()) return absl::OkStatus();  // gone with a lease
    regions_.erase(it);
    region_count_ = regions_.size();
  }
  std::lock_guard<std::mutex> lock(lease_mu_);
  if (lease_ == nullptr || lease_->ended()) return absl::OkStatus();
  absl::StatusOr<std::string> token = lease_->Token();
  if (!token.ok()) return token.status();
  v1::SystemSharedMemoryUnregisterRequest request;
  request.set_name(name);
  request.set_lease(*token);
  grpc::ClientContext context;
  SetManagementDeadline(&context);
  v1::SystemSharedMemoryUnregisterResponse response;
  return ToAbslStatus(
      stub_->SystemSharedMemoryUnregister(&context, request, &response));
}

std::optional<v1::SharedMemoryRef> SharedMemoryRegistry::Find(
    absl::Span<const uint8_t> bytes) const {
  if (bytes.empty() || region_count_.load(std::memory_order_relaxed) == 0) {
    return std::nullopt;
  }
  const auto start = reinterpret_cast<uintptr_t>(bytes.data());
  std::lock_guard<std::mutex> lock(regions_mu_);
  auto it = regions_.upper_bound(start);
  if (it == regions_.begin()) return std::nullopt;
  --it;
  const uint64_t offset = start - it->first;
  if (offset > it->second.size || bytes.size() > it->second.size - offset) {
    return std::nullopt;
  }
  v1::SharedMemoryRef ref;
  ref.set_region(it->second.name);
  ref.set_offset(offset);
  ref.set_byte_size(bytes.size());
  return ref;
}

void SharedMemoryRegistry::Close() {
  std::unique_ptr<Lease> lease;
  {
    std::lock_guard<std::mutex> lock(lease_mu_);
    lease = std::move(lease_);
  }
  if (lease != nullptr) lease->End();
  std::lock_guard<std::mutex> lock(regions_mu_);
  regions_.clear();
  region_count_ = 0;
}

}  // namespace tensor_transform::client
