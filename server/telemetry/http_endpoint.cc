#include "server/telemetry/http_endpoint.h"

#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tensor_transform::server {
namespace {

constexpr size_t kMaxRequestBytes = 8 << 10;
constexpr int kSocketTimeoutSeconds = 2;

// "host:port" or "[v6 host]:port" -> host ("" for any), port.
absl::StatusOr<std::pair<std::string, std::string>> SplitHostPort(
    const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics_listen: '", listen, "', but host:port is needed"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(host, listen.substr(colon + 1));
}

// A listening socket on the first address `listen` resolves to; -1 if none.
int Listen(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints,
                  &addresses) != 0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = addresses; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 16) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addresses);
  return fd;
}

int BoundPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
  }
  return "Error";
}

// Reads up to the end of the request headers; false on timeout or a request
// too large for a GET.
bool ReadRequest(int fd, std::string* request) {
  char buffer[1024];
  while (request->find("\r\n\r\n") == std::string::npos) {
    if (request->size() > kMaxRequestBytes) return false;
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) return false;
    request->append(buffer, static_cast<size_t>(n));
  }
  return true;
}

void WriteAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n =
        send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the peer left or timed out: nothing to do
    sent += static_cast<size_t>(n);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(
    const std::string& listen, Handler handler) {
  auto host_port = SplitHostPort(listen);
  if (!host_port.ok()) return host_port.status();
  const int fd = Listen(host_port->first, host_port->second);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  const int wake = eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    close(fd);
    return absl::InternalError("eventfd failed");
  }
  return std::unique_ptr<HttpEndpoint>(
      new HttpEndpoint(fd, wake, BoundPort(fd), std::move(handler)));
}

HttpEndpoint::HttpEndpoint(int listen_fd, int wake_fd, int port,
                           Handler handler)
    : listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      port_(port),
      handler_(std::move(handler)),
      thread_([this] { Serve(); }) {}

HttpEndpoint::~HttpEndpoint() {
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) != sizeof(one)) {
    // eventfd writes of 8 bytes cannot fail short of a counter overflow.
  }
  thread_.join();
  close(listen_fd_);
  close(wake_fd_);
}

void HttpEndpoint::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Answer(fd);
    close(fd);
  }
}

void HttpEndpoint::Answer(int fd) {
  const timeval timeout{kSocketTimeoutSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  std::string request;
  if (!ReadRequest(fd, &request)) return;
  // "GET /metrics?x HTTP/1.1"
  const std::vector<std::string> line = absl::StrSplit(
      request.substr(0, request.find("\r\n")), ' ', absl::SkipEmpty());
  HttpResponse response;
  const bool head = !line.empty() && line[0] == "HEAD";
  if (line.size() != 3) {
    response = {400, "text/plain; charset=utf-8", "bad request\n"};
  } else if (line[0] != "GET" && !head) {
    response = {405, "text/plain; charset=utf-8", "only GET\n"};
  } else {
    response = handler_(line[1].substr(0, line[1].find('?')));
  }
  WriteAll(fd, absl::StrCat(
                   "HTTP/1.0 ", response.status, " ", Reason(response.status),
                   "\r\nContent-Type: ", response.content_type,
                   "\r\nContent-Length: ", response.body.size(),
                   "\r\nConnection: close\r\n\r\n", head ? "" : response.body));
}

}  // namespace tensor_transform::server
