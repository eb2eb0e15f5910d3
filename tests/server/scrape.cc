#include "tests/server/scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tensor_transform::server::test_support {
namespace {

// "name{b=\"2\",a=\"1\"}" -> name and its labels sorted.
std::pair<std::string, std::vector<std::string>> ParseSeries(
    absl::string_view series) {
  const size_t brace = series.find('{');
  if (brace == absl::string_view::npos || series.back() != '}') {
    return {std::string(series), {}};
  }
  std::vector<std::string> labels =
      absl::StrSplit(series.substr(brace + 1, series.size() - brace - 2), ',');
  std::sort(labels.begin(), labels.end());
  return {std::string(series.substr(0, brace)), std::move(labels)};
}

}  // namespace

HttpConnection::HttpConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    close(fd_);
    fd_ = -1;
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) close(fd_);
}

void HttpConnection::Send(const std::string& bytes) {
  send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

HttpReply HttpConnection::ReadReply() {
  HttpReply reply;
  std::string response;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = recv(fd_, buffer, sizeof(buffer), 0)) > 0) {
    response.append(buffer, static_cast<size_t>(n));
  }
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  const size_t space = response.find(' ');
  const size_t body = response.find("\r\n\r\n");
  if (space == std::string::npos || body == std::string::npos ||
      !absl::SimpleAtoi(response.substr(space + 1, 3), &reply.status)) {
    return reply;
  }
  reply.body = response.substr(body + 4);
  return reply;
}

HttpReply HttpRequest(int port, const std::string& request_line) {
  HttpConnection connection(port);
  if (!connection.connected()) return {};
  connection.Send(absl::StrCat(request_line, "\r\n\r\n"));
  return connection.ReadReply();
}

HttpReply HttpGet(int port, const std::string& path) {
  return HttpRequest(port, absl::StrCat("GET ", path, " HTTP/1.0"));
}

std::optional<double> MetricValue(const std::string& exposition,
                                  const std::string& series) {
  const auto wanted = ParseSeries(series);
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    const size_t space = line.rfind(' ');
    if (line.empty() || line[0] == '#' || space == absl::string_view::npos ||
        ParseSeries(line.substr(0, space)) != wanted) {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(space + 1), &value)) return value;
  }
  return std::nullopt;
}

}  // namespace tensor_transform::server::test_support
