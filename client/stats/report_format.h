// The formats bench and load results are printed in.
//
//   std::optional<ReportFormat> format = ParseReportFormat("json");
#ifndef TENSOR_TRANSFORM_CLIENT_STATS_REPORT_FORMAT_H_
#define TENSOR_TRANSFORM_CLIENT_STATS_REPORT_FORMAT_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace tensor_transform::client {

enum class ReportFormat { kTable, kJson, kCsv };

// "table", "json" or "csv"; nullopt for anything else.
std::optional<ReportFormat> ParseReportFormat(absl::string_view name);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_STATS_REPORT_FORMAT_H_
