#include "client/stats/report_format.h"

namespace tensor_transform::client {

std::optional<ReportFormat> ParseReportFormat(absl::string_view name) {
  if (name == "table") return ReportFormat::kTable;
  if (name == "json") return ReportFormat::kJson;
  if (name == "csv") return ReportFormat::kCsv;
  return std::nullopt;
}

}  // namespace tensor_transform::client
