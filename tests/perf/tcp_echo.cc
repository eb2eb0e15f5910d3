// The transport floors for the RPC benchmarks: a minimal TCP echo over
// loopback, timed two ways on one connection.
// - pipelined: the server echoes every byte back as it arrives; the client
//   sends while a second thread receives. Both directions overlap, as they do
//   in a streaming RPC: the floor for the streaming calls.
// - store_and_forward: the server receives the whole payload, then sends it
//   back; the client sends all, then receives all. Nothing overlaps, as in a
//   unary RPC, whose reply cannot start before its request has arrived: the
//   floor for the unary calls.
// Prints one JSON object: {"bytes": N, "repeats": R, "pipelined":
// {"seconds_p50": S, "seconds_min": S}, "store_and_forward": {...}}.
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
ABSL_FLAG(int, repeats, 5, "timed round trips per style (after one warm-up)");

namespace {

constexpr size_t kIoBytes = size_t{4} << 20;

enum class Style { kPipelined, kStoreAndForward };

void Check(bool ok, const char* what) {
  if (!ok) {
    std::perror(what);
    std::exit(1);
  }
}

ssize_t Send(int fd, char* p, size_t n) { return send(fd, p, n, 0); }
ssize_t Receive(int fd, char* p, size_t n) { return recv(fd, p, n, 0); }

// Moves exactly `n` bytes in kIoBytes pieces with `io` (Send or Receive);
// false when the peer closed the connection first.
bool Transfer(int fd, char* buffer, size_t n,
              ssize_t (*io)(int, char*, size_t)) {
  for (size_t done = 0; done < n;) {
    const ssize_t r = io(fd, buffer + done, std::min(kIoBytes, n - done));
    if (r == 0) return false;
    Check(r > 0, "transfer");
    done += static_cast<size_t>(r);
  }
  return true;
}

// Serves one connection until the client closes its side.
void Echo(int listener, Style style, size_t bytes) {
  const int fd = accept(listener, nullptr, nullptr);
  Check(fd >= 0, "accept");
  if (style == Style::kPipelined) {
    std::vector<char> buffer(kIoBytes);
    for (ssize_t n; (n = Receive(fd, buffer.data(), buffer.size())) > 0;) {
      Check(Transfer(fd, buffer.data(), static_cast<size_t>(n), Send), "echo");
    }
  } else {
    std::string buffer(bytes, '\0');
    while (Transfer(fd, buffer.data(), bytes, Receive)) {
      Check(Transfer(fd, buffer.data(), bytes, Send), "echo");
    }
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

double RoundTrip(int fd, Style style, std::string& out, std::string& in) {
  const auto start = std::chrono::steady_clock::now();
  if (style == Style::kPipelined) {
    std::thread receiver(
        [&] { Check(Transfer(fd, in.data(), in.size(), Receive), "recv"); });
    Check(Transfer(fd, out.data(), out.size(), Send), "send");
    receiver.join();
  } else {
    Check(Transfer(fd, out.data(), out.size(), Send), "send");
    Check(Transfer(fd, in.data(), in.size(), Receive), "recv");
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// One connection timed `repeats` times in `style`, as a JSON object.
std::string Measure(Style style, size_t bytes, int repeats) {
  sockaddr_in address{};
  const int listener = Listen(&address);
  std::thread server(Echo, listener, style, bytes);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  Check(
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0,
      "connect");
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  std::string out(bytes, '\x5a'), in(bytes, '\0');  // touched: no faults
  RoundTrip(fd, style, out, in);                    // warm-up
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    seconds.push_back(RoundTrip(fd, style, out, in));
  }
  shutdown(fd, SHUT_WR);
  server.join();
  close(fd);
  close(listener);
  Check(in == out, "echo returned other bytes");
  std::sort(seconds.begin(), seconds.end());
  char json[128];
  std::snprintf(json, sizeof(json),
                "{\"seconds_p50\": %.6f, \"seconds_min\": %.6f}",
                seconds[(seconds.size() - 1) / 2], seconds.front());
  return json;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const size_t bytes = static_cast<size_t>(absl::GetFlag(FLAGS_bytes));
  const int repeats = std::max(1, absl::GetFlag(FLAGS_repeats));
  const std::string pipelined = Measure(Style::kPipelined, bytes, repeats);
  const std::string serial = Measure(Style::kStoreAndForward, bytes, repeats);
  std::printf(
      "{\"bytes\": %zu, \"repeats\": %d, \"pipelined\": %s, "
      "\"store_and_forward\": %s}\n",
      bytes, repeats, pipelined.c_str(), serial.c_str());
  return 0;
}
