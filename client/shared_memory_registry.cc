#include "client/shared_memory_registry.h"

#include <cstdint>
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
//
// It runs on a completion queue of its own that no thread waits on between
// uses. A thread blocked on a queue takes part in gRPC's polling (the
// callback API's reader kept two such threads): it then often read a
// transform call's reply itself and had to wake that call's thread, a futex
// handoff that made 1 KiB calls via shared memory ~25% slower than inline
// ones. Here the queue is driven only by the registry's own calls, under its
// lease_mu_: while the token is awaited, when ended() looks, and by End.
class SharedMemoryRegistry::Lease final {
 public:
  explicit Lease(v1::TensorTransform::Stub* stub)
      : reader_(stub->PrepareAsyncSystemSharedMemoryLease(&context_, request_,
                                                          &cq_)) {
    reader_->StartCall(Tag(Op::kStart));
  }

  ~Lease() { End(); }

  // The token, once the first message has come; the call's status when it
  // ended before one came; DeadlineExceeded when none came in time.
  absl::StatusOr<std::string> Token() {
    const gpr_timespec deadline = gpr_time_add(
        gpr_now(GPR_CLOCK_MONOTONIC),
        gpr_time_from_millis(absl::ToInt64Milliseconds(kManagementTimeout),
                             GPR_TIMESPAN));
    while (!token_ && !finished_) {
      if (!Drive(deadline)) {
        return absl::DeadlineExceededError(
            absl::StrCat("SystemSharedMemoryLease: no lease within ",
                         absl::FormatDuration(kManagementTimeout)));
      }
    }
    if (token_) return *token_;
    return ToAbslStatus(status_);
  }

  // Whether the call has ended (the server ended it, or it failed).
  bool ended() {
    while (!finished_ && Drive(gpr_time_0(GPR_CLOCK_MONOTONIC))) {
    }
    return finished_ || reading_done_;
  }

  // Cancels the call and waits until gRPC is done with it.
  void End() {
    if (drained_) return;
    context_.TryCancel();
    while (!finished_) Drive(gpr_inf_future(GPR_CLOCK_MONOTONIC));
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
    drained_ = true;
  }

 private:
  enum class Op : intptr_t { kStart = 1, kRead, kFinish };
  static void* Tag(Op op) {
    return reinterpret_cast<void*>(static_cast<intptr_t>(op));
  }

  // Handles the queue's next event if one comes by `deadline`; false when
  // none came.
  bool Drive(gpr_timespec deadline) {
    void* tag;
    bool ok;
    if (cq_.AsyncNext(&tag, &ok, deadline) !=
        grpc::CompletionQueue::GOT_EVENT) {
      return false;
    }
    switch (static_cast<Op>(reinterpret_cast<intptr_t>(tag))) {
      case Op::kStart:
      case Op::kRead:
        if (ok) {
          if (!token_ && tag == Tag(Op::kRead)) token_ = response_.lease();
          // The server sends nothing after the token: this read completes
          // when the call ends.
          reader_->Read(&response_, Tag(Op::kRead));
        } else {
          reading_done_ = true;
          reader_->Finish(&status_, Tag(Op::kFinish));
        }
        break;
      case Op::kFinish:
        finished_ = true;
        break;
    }
    return true;
  }

  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  v1::SystemSharedMemoryLeaseRequest request_;
  v1::SystemSharedMemoryLeaseResponse response_;
  std::unique_ptr<grpc::ClientAsyncReader<v1::SystemSharedMemoryLeaseResponse>>
      reader_;
  std::optional<std::string> token_;
  grpc::Status status_;
  bool reading_done_ = false;  // a read failed: Finish is under way
  bool finished_ = false;      // Finish completed: status_ is the call's
  bool drained_ = false;       // the queue is shut down and empty
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
