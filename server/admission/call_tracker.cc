#include "server/admission/call_tracker.h"

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tensor_transform::server {

// One call's state: created by gRPC when the call starts, deleted when it is
// over, so its destructor is where the call's reservations end.
class TrackedCall final : public grpc::experimental::Interceptor {
 public:
  TrackedCall(CallTracker* tracker, grpc::experimental::ServerRpcInfo* info);
  ~TrackedCall() override;

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override;
  bool health_watch() const { return health_watch_; }
  void Cancel() { context_->TryCancel(); }
  grpc::Status Admit(int64_t payload_bytes, int64_t held_bytes);
  void Computed(core::Method method, int64_t compute_ns, int64_t result_bytes);

 private:
  // Records and returns the refusal of `bytes`; mu_ is held.
  grpc::Status Refuse(int64_t bytes);

  CallTracker* const tracker_;
  grpc::ServerContextBase* const context_;
  const std::chrono::steady_clock::time_point start_;
  bool health_watch_ = false;
  std::mutex mu_;  // guards the members below
  CallRecord record_;
  // Reservations of the admitted messages whose responses have not been
  // sent yet, oldest first: responses answer messages in order.
  std::deque<int64_t> held_;
  grpc::Status refusal_;
};

TrackedCall::TrackedCall(CallTracker* tracker,
                         grpc::experimental::ServerRpcInfo* info)
    : tracker_(tracker),
      context_(info->server_context()),
      start_(std::chrono::steady_clock::now()) {
  const absl::string_view path = info->method();  // "/package.Service/Method"
  const size_t slash = path.rfind('/');
  {
    std::lock_guard<std::mutex> lock(mu_);
    record_.service = std::string(path.substr(1, slash - 1));
    record_.method = std::string(path.substr(slash + 1));
    health_watch_ = path == "/grpc.health.v1.Health/Watch";
  }
  tracker_->Register(context_, this);
  tracker_->metrics().CallStarted();
}

TrackedCall::~TrackedCall() {
  tracker_->Unregister(context_);
  std::lock_guard<std::mutex> lock(mu_);
  for (int64_t bytes : held_) tracker_->budget().Release(bytes);
  record_.latency_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  tracker_->metrics().CallFinished(record_);
}

void TrackedCall::Intercept(
    grpc::experimental::InterceptorBatchMethods* methods) {
  using grpc::experimental::InterceptionHookPoints;
  if (methods->QueryInterceptionHookPoint(
          InterceptionHookPoints::POST_SEND_MESSAGE)) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!held_.empty()) {
      tracker_->budget().Release(held_.front());
      held_.pop_front();
    }
  }
  if (methods->QueryInterceptionHookPoint(
          InterceptionHookPoints::PRE_SEND_STATUS)) {
    std::lock_guard<std::mutex> lock(mu_);
    record_.code = methods->GetSendStatus().error_code();
  }
  methods->Proceed();
}

grpc::Status TrackedCall::Admit(int64_t payload_bytes, int64_t held_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!refusal_.ok()) return refusal_;
  record_.payload_bytes_in += payload_bytes;
  if (!tracker_->budget().TryReserve(held_bytes)) return Refuse(held_bytes);
  held_.push_back(held_bytes);
  return grpc::Status::OK;
}

grpc::Status TrackedCall::Refuse(int64_t bytes) {
  const MemoryBudget& budget = tracker_->budget();
  refusal_ = grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat("memory budget: this message needs ", bytes,
                   " bytes held while it is computed and sent, but ",
                   budget.limit() - budget.in_use(), " of ", budget.limit(),
                   " are free; retry later or send smaller messages"));
  tracker_->metrics().AdmissionRejected();
  return refusal_;
}

void TrackedCall::Computed(core::Method method, int64_t compute_ns,
                           int64_t result_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  record_.relu_method = std::string(core::MethodName(method));
  record_.compute_seconds += static_cast<double>(compute_ns) * 1e-9;
  record_.payload_bytes_out += result_bytes;
}

CallTracker::CallTracker(MemoryBudget* budget, Metrics* metrics)
    : budget_(budget), metrics_(metrics) {}

grpc::Status CallTracker::Admit(const grpc::ServerContextBase& context,
                                int64_t payload_bytes, int64_t held_bytes) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  const auto it = calls_.find(&context);
  if (it == calls_.end()) return grpc::Status::OK;
  return it->second->Admit(payload_bytes, held_bytes);
}

void CallTracker::Computed(const grpc::ServerContextBase& context,
                           core::Method method, int64_t compute_ns,
                           int64_t result_bytes) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  const auto it = calls_.find(&context);
  if (it != calls_.end()) {
    it->second->Computed(method, compute_ns, result_bytes);
  }
}

void CallTracker::Register(const grpc::ServerContextBase* context,
                           TrackedCall* call) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  calls_[context] = call;
}

void CallTracker::Unregister(const grpc::ServerContextBase* context) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  calls_.erase(context);
}

void CallTracker::EndHealthWatches() {
  std::vector<const grpc::ServerContextBase*> watches;
  {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    for (const auto& [context, call] : calls_) {
      if (call->health_watch()) watches.push_back(context);
    }
  }
  for (const grpc::ServerContextBase* context : watches) {
    // Looked up again: the call may have ended since.
    std::lock_guard<std::recursive_mutex> lock(mu_);
    const auto it = calls_.find(context);
    if (it != calls_.end() && it->second->health_watch()) it->second->Cancel();
  }
}

namespace {

class TrackingFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit TrackingFactory(CallTracker* tracker) : tracker_(tracker) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new TrackedCall(tracker_, info);
  }

 private:
  CallTracker* const tracker_;
};

}  // namespace

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeInterceptorFactories(CallTracker* tracker) {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      factories;
  factories.push_back(std::make_unique<TrackingFactory>(tracker));
  return factories;
}

}  // namespace tensor_transform::server
