// A minimal HTTP/1.0 listener for plain-text GETs: the Prometheus scrape
// (/metrics) and an HTTP health probe (/healthz) beside the gRPC port, for
// scrapers and probes that speak neither gRPC nor TLS. One connection at a
// time, each closed after its answer, with short socket timeouts so that a
// slow or silent peer cannot hold the listener.
//
//   auto endpoint = HttpEndpoint::Start("127.0.0.1:9090",
//       [](absl::string_view path) -> HttpResponse { ... });
//   int port = (*endpoint)->port();  // the real one when asked for 0
#ifndef TENSOR_TRANSFORM_SERVER_TELEMETRY_HTTP_ENDPOINT_H_
#define TENSOR_TRANSFORM_SERVER_TELEMETRY_HTTP_ENDPOINT_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensor_transform::server {

struct HttpResponse {
  int status = 200;  // 200, 404, 503, ...
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpEndpoint {
 public:
  // Called on the listener's thread with the request path of each GET.
  using Handler = std::function<HttpResponse(absl::string_view path)>;

  // Binds `listen` ("host:port", "[v6]:port"; port 0 picks a free one) and
  // serves until destroyed. InvalidArgument for a malformed address,
  // Unavailable when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(
      const std::string& listen, Handler handler);

  // Stops listening and joins the thread; a request being answered is
  // finished first.
  ~HttpEndpoint();

  int port() const { return port_; }

 private:
  HttpEndpoint(int listen_fd, int wake_fd, int port, Handler handler);
  void Serve();
  void Answer(int fd);

  const int listen_fd_;
  const int wake_fd_;  // an eventfd: written to stop Serve()
  const int port_;
  const Handler handler_;
  std::thread thread_;
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_TELEMETRY_HTTP_ENDPOINT_H_
