// The plain-HTTP endpoint beside the gRPC port, for scrapers and probes that
// speak neither gRPC nor TLS: GET (or HEAD) /metrics answers the Prometheus
// text exposition of prometheus-cpp collectables, /healthz 200 "SERVING" or
// 503 "NOT_SERVING". civetweb, the HTTP server under prometheus-cpp's pull
// Exposer, serves it on kThreads workers, each connection closed after its
// answer, so a slow or silent peer holds one worker for at most
// kSocketTimeoutMs while the others answer.
//
//   auto endpoint = MetricsEndpoint::Start("127.0.0.1:9090", {&metrics},
//                                          [&] { return serving.load(); });
//   int port = (*endpoint)->port();  // the real one when asked for 0
//
// Not prometheus::Exposer itself: in prometheus-cpp 1.0.1 (Debian 12) it
// answers every path with 200 and the collected text, and keeps its
// CivetServer private, so /healthz could not answer 503 on the same port.
#ifndef TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_ENDPOINT_H_
#define TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_ENDPOINT_H_

#include <prometheus/collectable.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

class CivetHandler;
class CivetServer;

namespace tensor_transform::server {

class MetricsEndpoint {
 public:
  // Requests answered at once; civetweb adds one thread accepting
  // connections.
  static constexpr int kThreads = 4;
  // Longest a peer may take to send its request or read the answer.
  static constexpr int kSocketTimeoutMs = 2000;

  // Binds `listen` ("host:port", the host an IPv4 address or a name of one,
  // empty for every interface; port 0 picks a free one) and serves until
  // destroyed. `collectables` and `serving` are called on the endpoint's
  // threads, concurrently, and must outlive it. InvalidArgument for a
  // malformed address or an IPv6 one (Debian 12's civetweb is built without
  // IPv6); Unavailable for a name without an IPv4 address or an address that
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& listen,
      std::vector<const prometheus::Collectable*> collectables,
      std::function<bool()> serving);

  // Stops listening and joins the threads; requests being answered are
  // finished first.
  ~MetricsEndpoint();

  int port() const { return port_; }

 private:
  MetricsEndpoint(std::vector<const prometheus::Collectable*> collectables,
                  std::function<bool()> serving);

  const std::unique_ptr<CivetHandler> metrics_;
  const std::unique_ptr<CivetHandler> health_;
  // Declared last, so stopped first: its threads call the handlers.
  std::unique_ptr<CivetServer> server_;
  int port_ = 0;
  std::string knock_ip_;  // where the destructor wakes civetweb
};

}  // namespace tensor_transform::server

#endif  // TENSOR_TRANSFORM_SERVER_TELEMETRY_METRICS_ENDPOINT_H_
