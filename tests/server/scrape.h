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

// One loopback connection, for requests sent in parts (a peer that stalls
// mid-request).
class HttpConnection {
 public:
  explicit HttpConnection(int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Send(const std::string& bytes);
  // Reads until the server closes the connection.
  HttpReply ReadReply();

 private:
  int fd_ = -1;
};

// `request_line` is sent as is, e.g. "GET /metrics HTTP/1.0".
HttpReply HttpRequest(int port, const std::string& request_line);
HttpReply HttpGet(int port, const std::string& path);

// The value of the sample whose name and labels are exactly `series`
// (`name` or `name{labels}`), the labels in any order; nullopt when absent.
// Label values must hold no ',' (none of the server's do).
std::optional<double> MetricValue(const std::string& exposition,
                                  const std::string& series);

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_SCRAPE_H_
