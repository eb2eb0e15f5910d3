#include "client/load/recorder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tensor_transform::client {
namespace {

// Timelines longer than this are shown in coarser intervals.
constexpr size_t kMaxTimelinePoints = 200;
constexpr char kOtherMessages[] = "(further distinct messages)";

double Ms(double ns) { return ns / 1e6; }

template <typename Map, typename Make>
auto SortedByCount(const Map& counts, Make make) {
  std::vector<decltype(make(*counts.begin()))> out;
  for (const auto& item : counts) out.push_back(make(item));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.count > b.count;
  });
  return out;
}

}  // namespace

LevelRecorder::LevelRecorder(std::vector<std::string> entry_labels)
    : labels_(std::move(entry_labels)),
      entry_calls_(labels_.size(), 0),
      entry_errors_(labels_.size(), 0) {}

void LevelRecorder::Record(const CallRecord& call) {
  latency_.Record(call.end_ns - call.scheduled_ns);
  ++entry_calls_[call.entry];
  first_start_ns_ = std::min(first_start_ns_, call.scheduled_ns);
  last_end_ns_ = std::max(last_end_ns_, call.end_ns);
  bytes_out_ += call.bytes_out;
  const size_t index = static_cast<size_t>(call.end_ns / kSlotNs);
  if (index >= slots_.size()) slots_.resize(index + 1);
  Slot& slot = slots_[index];
  ++slot.calls;
  if (!call.status.ok() || call.wrong_result) {
    ++entry_errors_[call.entry];
    ++slot.errors;
  }
  if (!call.status.ok()) {
    ++codes_[call.status.code()];
    CountMessage({call.status.code(), std::string(call.status.message())}, 1);
    return;
  }
  if (call.wrong_result) {
    ++wrong_results_;
  } else {
    ++codes_[absl::StatusCode::kOk];
  }
  RecordSuccess(call, slot);
}

void LevelRecorder::RecordSuccess(const CallRecord& call, Slot& slot) {
  const CallResult& r = *call.result;
  bytes_in_ += call.bytes_in;
  slot.bytes_in += call.bytes_in;
  ++sums_.ok_calls;
  sums_.schedule_wait += static_cast<double>(call.start_ns - call.scheduled_ns);
  sums_.serialize += static_cast<double>(r.serialize_ns);
  sums_.server += static_cast<double>(r.server_compute_ns);
  sums_.deserialize += static_cast<double>(r.deserialize_ns);
  sums_.latency += static_cast<double>(call.end_ns - call.scheduled_ns);
  sums_.verify += static_cast<double>(call.verify_ns);
}

void LevelRecorder::CountMessage(MessageKey key, int64_t n) {
  auto it = messages_.find(key);
  if (it != messages_.end()) {
    it->second += n;
  } else if (messages_.size() < kMaxMessages) {
    messages_.emplace(std::move(key), n);
  } else {
    other_messages_ += n;
  }
}

void LevelRecorder::Merge(const LevelRecorder& other) {
  latency_.Merge(other.latency_);
  for (const auto& [code, n] : other.codes_) codes_[code] += n;
  wrong_results_ += other.wrong_results_;
  other_messages_ += other.other_messages_;
  for (const auto& [key, n] : other.messages_) CountMessage(key, n);
  for (size_t i = 0; i < entry_calls_.size(); ++i) {
    entry_calls_[i] += other.entry_calls_[i];
    entry_errors_[i] += other.entry_errors_[i];
  }
  sums_.ok_calls += other.sums_.ok_calls;
  sums_.schedule_wait += other.sums_.schedule_wait;
  sums_.serialize += other.sums_.serialize;
  sums_.server += other.sums_.server;
  sums_.deserialize += other.sums_.deserialize;
  sums_.latency += other.sums_.latency;
  sums_.verify += other.sums_.verify;
  bytes_out_ += other.bytes_out_;
  bytes_in_ += other.bytes_in_;
  first_start_ns_ = std::min(first_start_ns_, other.first_start_ns_);
  last_end_ns_ = std::max(last_end_ns_, other.last_end_ns_);
  if (other.slots_.size() > slots_.size()) slots_.resize(other.slots_.size());
  for (size_t i = 0; i < other.slots_.size(); ++i) {
    slots_[i].calls += other.slots_[i].calls;
    slots_[i].errors += other.slots_[i].errors;
    slots_[i].bytes_in += other.slots_[i].bytes_in;
  }
}

int64_t LevelRecorder::errors() const {
  int64_t errors = wrong_results_;
  for (const auto& [code, n] : codes_) {
    if (code != absl::StatusCode::kOk) errors += n;
  }
  return errors;
}

TimeSplit LevelRecorder::Split() const {
  TimeSplit split;
  if (sums_.ok_calls == 0) return split;
  const auto n = static_cast<double>(sums_.ok_calls);
  split.schedule_wait_ms = Ms(sums_.schedule_wait / n);
  split.serialize_ms = Ms(sums_.serialize / n);
  split.server_compute_ms = Ms(sums_.server / n);
  split.deserialize_ms = Ms(sums_.deserialize / n);
  split.verify_ms = Ms(sums_.verify / n);
  split.transport_ms = std::max(
      0.0, Ms(sums_.latency / n) - split.schedule_wait_ms - split.serialize_ms -
               split.server_compute_ms - split.deserialize_ms);
  return split;
}

std::vector<TimelinePoint> LevelRecorder::Timeline() const {
  std::vector<TimelinePoint> points;
  if (calls() == 0) return points;
  const size_t first = static_cast<size_t>(first_start_ns_ / kSlotNs);
  const size_t n = slots_.size() - std::min(first, slots_.size());
  const size_t per_point = (n + kMaxTimelinePoints - 1) / kMaxTimelinePoints;
  const double width_s = static_cast<double>(per_point * kSlotNs) / 1e9;
  for (size_t begin = first; begin < slots_.size(); begin += per_point) {
    Slot sum;
    for (size_t i = begin; i < std::min(begin + per_point, slots_.size());
         ++i) {
      sum.calls += slots_[i].calls;
      sum.errors += slots_[i].errors;
      sum.bytes_in += slots_[i].bytes_in;
    }
    TimelinePoint& p = points.emplace_back();
    p.start_s = std::max<double>(
        0, static_cast<double>(static_cast<int64_t>(begin) * kSlotNs -
                               first_start_ns_) /
               1e9);
    p.calls = sum.calls;
    p.calls_per_s = static_cast<double>(sum.calls) / width_s;
    p.errors_per_s = static_cast<double>(sum.errors) / width_s;
    p.gbps_in = static_cast<double>(sum.bytes_in) / width_s / 1e9;
  }
  return points;
}

LevelResult LevelRecorder::Finish(int concurrency, double target_rps) const {
  LevelResult r;
  r.concurrency = concurrency;
  r.target_rps = target_rps;
  r.calls = calls();
  r.errors = errors();
  r.wrong_results = wrong_results_;
  if (r.calls > 0) {
    r.elapsed_s = static_cast<double>(last_end_ns_ - first_start_ns_) / 1e9;
  }
  if (r.elapsed_s > 0) {
    r.calls_per_s = static_cast<double>(r.calls) / r.elapsed_s;
    r.gbps_out = static_cast<double>(bytes_out_) / r.elapsed_s / 1e9;
    r.gbps_in = static_cast<double>(bytes_in_) / r.elapsed_s / 1e9;
  }
  r.latency_ms = {Ms(latency_.min()),          Ms(latency_.Percentile(50)),
                  Ms(latency_.Percentile(90)), Ms(latency_.Percentile(95)),
                  Ms(latency_.Percentile(99)), Ms(latency_.Percentile(99.9)),
                  Ms(latency_.max()),          Ms(latency_.mean())};
  r.histogram = latency_;
  r.codes = SortedByCount(codes_, [](const auto& item) {
    return CodeCount{absl::StatusCodeToString(item.first), item.second};
  });
  if (wrong_results_ > 0) r.codes.push_back({kWrongResult, wrong_results_});
  r.messages = SortedByCount(messages_, [](const auto& item) {
    return MessageCount{absl::StatusCodeToString(item.first.first),
                        item.first.second, item.second};
  });
  if (other_messages_ > 0) {
    r.messages.push_back({"", kOtherMessages, other_messages_});
  }
  for (size_t i = 0; i < labels_.size(); ++i) {
    r.entries.push_back({labels_[i], entry_calls_[i], entry_errors_[i]});
  }
  r.split = Split();
  r.timeline = Timeline();
  return r;
}

}  // namespace tensor_transform::client
