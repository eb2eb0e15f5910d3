// The transport floor for the RPC benchmarks: a minimal TCP echo over
// loopback. A server thread echoes every byte back as it arrives; the client
// sends the payload while a second thread receives the echo. Prints one JSON
// object: {"bytes": N, "repeats": R, "seconds_p50": S, "seconds_min": S}.
//
//   tcp_echo --bytes=200000000 --repeats=5
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"

ABSL_FLAG(int64_t, bytes, 200'000'000, "payload sent and received per trip");
ABSL_FLAG(int, repeats, 5, "timed round trips (after one warm-up)");

namespace {

constexpr size_t kIoBytes = size_t{4} << 20;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::perror(what);
    std::exit(1);
  }
}

// Moves `n` bytes in kIoBytes pieces; `io` is send or recv semantics.
template <typename Io>
void Transfer(int fd, char* buffer, size_t n, Io io) {
  for (size_t done = 0; done < n;) {
    const ssize_t r = io(fd, buffer + done, std::min(kIoBytes, n - done));
    Check(r > 0, "transfer");
    done += static_cast<size_t>(r);
  }
}

void Echo(int listener) {
  const int fd = accept(listener, nullptr, nullptr);
  Check(fd >= 0, "accept");
  std::vector<char> buffer(kIoBytes);
  for (ssize_t n; (n = recv(fd, buffer.data(), buffer.size(), 0)) > 0;) {
    Transfer(fd, buffer.data(), static_cast<size_t>(n),
             [](int f, char* p, size_t k) { return send(f, p, k, 0); });
  }
  close(fd);
}

int Listen(sockaddr_in* address) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  Check(fd >= 0, "socket");
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address->sin_port = 0;
  socklen_t length = sizeof(*address);
  Check(bind(fd, reinterpret_cast<sockaddr*>(address), length) == 0, "bind");
  Check(listen(fd, 1) == 0, "listen");
  Check(getsockname(fd, reinterpret_cast<sockaddr*>(address), &length) == 0,
        "getsockname");
  return fd;
}

double RoundTrip(int fd, std::string& out, std::string& in) {
  const auto start = std::chrono::steady_clock::now();
  std::thread receiver([&] {
    Transfer(fd, in.data(), in.size(),
             [](int f, char* p, size_t k) { return recv(f, p, k, 0); });
  });
  Transfer(fd, out.data(), out.size(),
           [](int f, char* p, size_t k) { return send(f, p, k, 0); });
  receiver.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const size_t bytes = static_cast<size_t>(absl::GetFlag(FLAGS_bytes));
  const int repeats = std::max(1, absl::GetFlag(FLAGS_repeats));
  sockaddr_in address{};
  const int listener = Listen(&address);
  std::thread server(Echo, listener);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  Check(
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0,
      "connect");
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::string out(bytes, '\x5a'), in(bytes, '\0');  // touched: no faults
  RoundTrip(fd, out, in);                           // warm-up
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) seconds.push_back(RoundTrip(fd, out, in));
  shutdown(fd, SHUT_WR);
  server.join();
  close(fd);
  close(listener);
  std::sort(seconds.begin(), seconds.end());
  std::printf(
      "{\"bytes\": %zu, \"repeats\": %d, \"seconds_p50\": %.6f, "
      "\"seconds_min\": %.6f}\n",
      bytes, repeats, seconds[(seconds.size() - 1) / 2], seconds.front());
  return in == out ? 0 : 1;
}
