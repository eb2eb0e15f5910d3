// The load test as one self-contained HTML file: settings, a table per
// level, and charts (latency percentiles per concurrency, where the time of
// a call goes, the latency histogram and throughput over time of any level)
// drawn as inline SVG by the page's own inline script from the report's JSON
// embedded in it. No external URL, no network: it opens from a file.
//
//   absl::Status s = WriteHtmlReport("report.html", report);
#ifndef TENSOR_TRANSFORM_CLIENT_LOAD_HTML_REPORT_H_
#define TENSOR_TRANSFORM_CLIENT_LOAD_HTML_REPORT_H_

#include <string>

#include "absl/status/status.h"
#include "client/load/result.h"

namespace tensor_transform::client {

std::string RenderHtmlReport(const LoadReport& report);

// Unavailable when the file cannot be written.
absl::Status WriteHtmlReport(const std::string& path, const LoadReport& report);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_LOAD_HTML_REPORT_H_
