// Reads the server's plain-HTTP endpoint as Prometheus and probes do: one
// GET, and single values out of the text exposition.
//
//   HttpReply reply = HttpGet(metrics_port, "/metrics");
//   EXPECT_EQ(MetricValue(reply.body, "tensor_transform_in_flight_requests"),
//             0);
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_SCRAPE_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_SCRAPE_H_

#include <optional>
#include <string>

namespace tensor_transform::server::test_support {

struct HttpReply {
  int status = 0;  // 0 when the connection failed
  std::string body;
};

// `request_line` is sent as is, e.g. "GET /metrics HTTP/1.0".
HttpReply HttpRequest(int port, const std::string& request_line);
HttpReply HttpGet(int port, const std::string& path);

// The value of the sample whose name and labels are exactly `series`
// (`name` or `name{labels}`); nullopt when absent.
std::optional<double> MetricValue(const std::string& exposition,
                                  const std::string& series);

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_SCRAPE_H_
