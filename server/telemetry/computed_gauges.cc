#include "server/telemetry/computed_gauges.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <utility>

namespace tensor_transform::server {

ComputedGauges::ComputedGauges(std::function<std::vector<Gauge>()> compute)
    : compute_(std::move(compute)) {}

std::vector<prometheus::MetricFamily> ComputedGauges::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  for (Gauge& gauge : compute_()) {
    prometheus::ClientMetric sample;
    sample.gauge.value = gauge.value;
    families.push_back({std::move(gauge.name),
                        std::move(gauge.help),
                        prometheus::MetricType::Gauge,
                        {std::move(sample)}});
  }
  return families;
}

}  // namespace tensor_transform::server
