// The tensor_transform_server binary run as a child process, as deployments
// run it: started with flags, its logged ports parsed, signalled, its exit
// status and peak memory read.
//
//   auto server = ServerProcess::Start({"--memory_budget_bytes=268435456"});
//   ASSERT_TRUE(server.ok()) << server.status();
//   ... call (*server)->target() ...
//   (*server)->Signal(SIGTERM);
//   EXPECT_EQ((*server)->WaitExit(), 0);
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_SERVER_PROCESS_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace tensor_transform::server::test_support {

class ServerProcess {
 public:
  // Runs TT_SERVER_BINARY with --listen=127.0.0.1:0 and `flags`, and waits
  // for its "listening on" line (and "metrics on", given --metrics_listen).
  // A --listen in `flags` must name 127.0.0.1:0 first (port() is its port).
  // Unavailable when it exits first, with its stderr.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::vector<std::string>& flags);
  // Kills the process if it still runs.
  ~ServerProcess();

  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  std::string target() const;  // "127.0.0.1:PORT"

  void Signal(int signal_number) const;
  // Blocks until the process exits: its exit status, or 128 + the signal
  // that killed it.
  int WaitExit();
  // VmHWM of the running process, in bytes; 0 once it has exited.
  int64_t PeakRssBytes() const;
  // Everything it wrote to stderr so far.
  std::string Log() const;

 private:
  ServerProcess(pid_t pid, int stderr_fd);
  // Reads stderr lines until `prefix` appears; its remainder, or "" at EOF.
  std::string AwaitLine(const std::string& prefix);
  void ReadLog();

  pid_t pid_;
  int stderr_fd_;
  int port_ = 0;
  int metrics_port_ = 0;
  bool exited_ = false;
  int exit_status_ = 0;
  mutable std::mutex mu_;  // guards the members below
  std::string log_;
  std::thread reader_;
};

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_SERVER_PROCESS_H_
