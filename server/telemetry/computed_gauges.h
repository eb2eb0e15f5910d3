// Gauges whose values are computed when a scrape collects them, from state
// that another object owns (a budget's bytes in use, /proc/self/status):
// nothing has to keep a copy up to date between scrapes.
//
//   ComputedGauges gauges([&] {
//     return std::vector<ComputedGauges::Gauge>{
//         {"tensor_transform_in_flight_bytes", "Bytes reserved.",
//          static_cast<double>(budget.in_use())}};
//   });
//   endpoint collects &gauges beside the Metrics.
#ifndef TENSOR_TRANSFORM_SERVER_TELEMETRY_COMPUTED_GAUGES_H_
#define TENSOR_TRANSFORM_SERVER_TELEMETRY_COMPUTED_GAUGES_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <string>
#include <vector>

namespace tensor_transform::server {

class ComputedGauges final : public prometheus::Collectable {
 public:
  struct Gauge {
    std::string name;  // a Prometheus metric name, unlabelled
    std::string help;
    double value = 0;
  };

  // `compute` is called on the scraping thread, concurrently when scrapes
  // are, and must outlive this object's last Collect.
  explicit ComputedGauges(std::function<std::vector<Gauge>()> compute);

  // One gauge family per Gauge `compute` returns now.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::function<std::vector<Gauge>()> compute_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_TELEMETRY_COMPUTED_GAUGES_H_
