// What a load test sends: one (rpc, method) or a weighted mix of them, in a
// fixed interleaved order, so that any stretch of the run holds every entry
// in proportion to its weight.
//
//   absl::StatusOr<std::vector<MixEntry>> mix =
//       ParseCallMix("apply:maximum=3,gradient:multiply=1", std::nullopt);
//   CallOrder order(*mix);  // entries 0 0 1 0, 0 0 1 0, ...
//   const MixEntry& entry = (*mix)[order.At(call_index)];
//
// Combinations the server rejects (gradient:abs) are accepted on purpose:
// a mix may include invalid requests to load the server's error path.
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_CALL_MIX_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_CALL_MIX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/tensor_client.h"
#include "core/types.h"

namespace tensor_transform::client {

struct MixEntry {
  Rpc rpc = Rpc::kApply;
  std::optional<core::Method> method;  // nullopt: the server's default
  int weight = 1;
};

// "apply:maximum", or "apply" when the method is the server's default.
std::string MixEntryLabel(const MixEntry& entry);

// Parses comma-separated entries "rpc[:method][=weight]" (rpc:
// apply|inplace|gradient, method: maximum|multiply|abs|masked, weight an
// integer >= 1, default 1). Entries without a method take `default_method`.
// InvalidArgument naming the entry for anything else, for an empty list, or
// for weights adding up to more than kMaxTotalWeight.
inline constexpr int kMaxTotalWeight = 1'000'000;
absl::StatusOr<std::vector<MixEntry>> ParseCallMix(
    absl::string_view text, std::optional<core::Method> default_method);

// The order in which calls take the entries: smooth weighted round robin
// (as in nginx), one period of sum(weights) calls, repeated.
class CallOrder {
 public:
  explicit CallOrder(const std::vector<MixEntry>& entries);
  // Index into the entries of the call numbered `call` (from 0).
  size_t At(int64_t call) const {
    return order_[static_cast<size_t>(call) % order_.size()];
  }
  size_t period() const { return order_.size(); }

 private:
  std::vector<uint32_t> order_;
};

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_CALL_MIX_H_
