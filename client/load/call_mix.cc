#include "client/load/call_mix.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tensor_transform::client {
namespace {

absl::Status BadEntry(absl::string_view entry, absl::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("--rpc: entry '", entry, "': ", rule));
}

absl::StatusOr<MixEntry> ParseEntry(absl::string_view text,
                                    std::optional<core::Method> method) {
  std::pair<absl::string_view, absl::string_view> call_weight =
      absl::StrSplit(text, absl::MaxSplits('=', 1));
  std::pair<absl::string_view, absl::string_view> rpc_method =
      absl::StrSplit(call_weight.first, absl::MaxSplits(':', 1));
  MixEntry entry;
  const std::optional<Rpc> rpc = ParseRpc(rpc_method.first);
  if (!rpc) return BadEntry(text, "rpc is one of apply|inplace|gradient");
  entry.rpc = *rpc;
  entry.method = method;
  if (!rpc_method.second.empty()) {
    entry.method = core::ParseMethod(rpc_method.second);
    if (!entry.method) {
      return BadEntry(text, "method is one of maximum|multiply|abs|masked");
    }
  }
  const bool has_weight = text.find('=') != absl::string_view::npos;
  if (has_weight && (!absl::SimpleAtoi(call_weight.second, &entry.weight) ||
                     entry.weight < 1)) {
    return BadEntry(text, "weight is an integer >= 1");
  }
  return entry;
}

}  // namespace

std::string MixEntryLabel(const MixEntry& entry) {
  if (!entry.method) return std::string(RpcName(entry.rpc));
  return absl::StrCat(RpcName(entry.rpc), ":", core::MethodName(*entry.method));
}

absl::StatusOr<std::vector<MixEntry>> ParseCallMix(
    absl::string_view text, std::optional<core::Method> default_method) {
  std::vector<MixEntry> entries;
  int64_t total = 0;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    absl::StatusOr<MixEntry> entry = ParseEntry(part, default_method);
    if (!entry.ok()) return entry.status();
    total += entry->weight;
    if (total > kMaxTotalWeight) {
      return BadEntry(
          part, absl::StrCat("weights add up to more than ", kMaxTotalWeight));
    }
    entries.push_back(*entry);
  }
  if (entries.empty()) {
    return absl::InvalidArgumentError(
        "--rpc: empty; give rpc[:method][=weight],...");
  }
  return entries;
}

CallOrder::CallOrder(const std::vector<MixEntry>& entries) {
  int64_t total = 0;
  for (const MixEntry& entry : entries) total += entry.weight;
  // Each step every entry gains its weight, and the richest one is picked
  // and pays the total: picks spread evenly, exactly `weight` per period.
  std::vector<int64_t> credit(entries.size(), 0);
  for (int64_t step = 0; step < total; ++step) {
    size_t best = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      credit[i] += entries[i].weight;
      if (credit[i] > credit[best]) best = i;
    }
    credit[best] -= total;
    order_.push_back(static_cast<uint32_t>(best));
  }
}

}  // namespace tensor_transform::client
