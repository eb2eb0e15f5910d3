#include "client/load/html_report.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/load/report.h"
// kReportTemplate: client/load/report_template.html, embedded by the build.
#include "client/load/report_template.inc"

namespace tensor_transform::client {

std::string RenderHtmlReport(const LoadReport& report) {
  // JSON has '<' only inside strings (error messages, settings), where
  // \u003c means the same; so no value can close the script element.
  const std::string json = absl::StrReplaceAll(
      FormatLoadReport(report, ReportFormat::kJson), {{"<", "\\u003c"}});
  return absl::StrReplaceAll(kReportTemplate, {{"{{TT_REPORT_JSON}}", json}});
}

absl::Status WriteHtmlReport(const std::string& path,
                             const LoadReport& report) {
  std::ofstream out(path, std::ios::binary);
  out << RenderHtmlReport(report);
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace tensor_transform::client
