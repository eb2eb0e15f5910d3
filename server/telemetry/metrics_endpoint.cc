#include "server/telemetry/metrics_endpoint.h"

#include <CivetServer.h>
#include <arpa/inet.h>
#include <civetweb.h>
#include <netdb.h>
#include <netinet/in.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tensor_transform::server {
namespace {

constexpr std::chrono::milliseconds kKnockInterval(5);

struct Reply {
  int status;
  const char* content_type;
  std::string body;
};

// Answers GET with Answer() and HEAD with its headers alone; civetweb
// answers other methods 404, as it does paths without a handler.
class TextHandler : public CivetHandler {
 public:
  bool handleGet(CivetServer* /*server*/, mg_connection* conn) override {
    Send(conn, /*with_body=*/true);
    return true;
  }
  bool handleHead(CivetServer* /*server*/, mg_connection* conn) override {
    Send(conn, /*with_body=*/false);
    return true;
  }

 private:
  virtual Reply Answer() const = 0;

  void Send(mg_connection* conn, bool with_body) const {
    const Reply reply = Answer();
    mg_response_header_start(conn, reply.status);
    mg_response_header_add(conn, "Content-Type", reply.content_type, -1);
    mg_response_header_add(conn, "Content-Length",
                           std::to_string(reply.body.size()).c_str(), -1);
    mg_response_header_send(conn);
    if (with_body) mg_write(conn, reply.body.data(), reply.body.size());
  }
};

class MetricsHandler final : public TextHandler {
 public:
  explicit MetricsHandler(
      std::vector<const prometheus::Collectable*> collectables)
      : collectables_(std::move(collectables)) {}

 private:
  Reply Answer() const override {
    std::vector<prometheus::MetricFamily> families;
    for (const prometheus::Collectable* collectable : collectables_) {
      std::vector<prometheus::MetricFamily> collected = collectable->Collect();
      std::move(collected.begin(), collected.end(),
                std::back_inserter(families));
    }
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            prometheus::TextSerializer().Serialize(families)};
  }

  const std::vector<const prometheus::Collectable*> collectables_;
};

class HealthHandler final : public TextHandler {
 public:
  explicit HealthHandler(std::function<bool()> serving)
      : serving_(std::move(serving)) {}

 private:
  Reply Answer() const override {
    if (serving_()) return {200, "text/plain; charset=utf-8", "SERVING\n"};
    return {503, "text/plain; charset=utf-8", "NOT_SERVING\n"};
  }

  const std::function<bool()> serving_;
};

struct Ipv4Address {
  std::string ip;  // dotted, "0.0.0.0" for every interface
  int port = 0;
};

// `listen` resolved to the one IPv4 address civetweb is to bind, so that a
// name cannot smuggle in civetweb's syntax (a ',' adds a listener) and the
// destructor knows where to knock.
absl::StatusOr<Ipv4Address> Resolve(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  Ipv4Address address;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &address.port) ||
      address.port < 0 || address.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics_listen: '", listen, "', but host:port is needed"));
  }
  const std::string host = listen.substr(0, colon);
  if (absl::StrContains(host, ':')) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics_listen: '", listen,
                     "', but IPv6 is not served (Debian 12's civetweb is "
                     "built without it): use an IPv4 address or host name"));
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), nullptr, &hints,
                  &found) != 0) {
    return absl::UnavailableError(absl::StrCat("metrics_listen: '", listen,
                                               "', but '", host,
                                               "' has no IPv4 address"));
  }
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr,
            ip, sizeof(ip));
  freeaddrinfo(found);
  address.ip = ip;
  return address;
}

// Connects to ip:port and hangs up at once.
void Knock(const std::string& ip, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  close(fd);
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(
    std::vector<const prometheus::Collectable*> collectables,
    std::function<bool()> serving)
    : metrics_(std::make_unique<MetricsHandler>(std::move(collectables))),
      health_(std::make_unique<HealthHandler>(std::move(serving))) {}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& listen,
    std::vector<const prometheus::Collectable*> collectables,
    std::function<bool()> serving) {
  auto address = Resolve(listen);
  if (!address.ok()) return address.status();
  // civetweb initializes itself on its first start, racily; once here, before
  // any, it cannot race.
  [[maybe_unused]] static const unsigned civetweb_features = mg_init_library(0);
  std::unique_ptr<MetricsEndpoint> endpoint(
      new MetricsEndpoint(std::move(collectables), std::move(serving)));
  try {
    endpoint->server_ = std::make_unique<CivetServer>(std::vector<std::string>{
        "listening_ports", absl::StrCat(address->ip, ":", address->port),
        "num_threads", absl::StrCat(kThreads), "request_timeout_ms",
        absl::StrCat(kSocketTimeoutMs)});
  } catch (const CivetException&) {  // civetweb's only way to say it failed
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  // "$": these paths exactly, not every path below them.
  endpoint->server_->addHandler("/metrics$", endpoint->metrics_.get());
  endpoint->server_->addHandler("/healthz$", endpoint->health_.get());
  endpoint->port_ = endpoint->server_->getListeningPorts().front();
  endpoint->knock_ip_ = address->ip == "0.0.0.0" ? "127.0.0.1" : address->ip;
  return endpoint;
}

// civetweb's accepting thread polls its socket in quanta of 2 s
// (SOCKET_TIMEOUT_QUANTUM, compiled into libcivetweb) and reads its stop flag
// only between them, so that close() alone takes up to 2 s (every drain's
// exit, every test's server). A connection after the flag is set wakes it at
// once; one that comes before is served as an empty request.
MetricsEndpoint::~MetricsEndpoint() {
  if (server_ == nullptr) return;  // never started
  std::atomic<bool> stopped{false};
  std::thread closer([&] {
    server_->close();
    stopped = true;
  });
  while (!stopped) {
    Knock(knock_ip_, port_);
    std::this_thread::sleep_for(kKnockInterval);
  }
  closer.join();
}

}  // namespace tensor_transform::server
