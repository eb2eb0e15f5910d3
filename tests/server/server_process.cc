#include "tests/server/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace tensor_transform::server::test_support {

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::vector<std::string>& flags) {
  std::vector<std::string> args = {TT_SERVER_BINARY, "--listen=127.0.0.1:0"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (spawned != 0) {
    close(fds[0]);
    return absl::InternalError(absl::StrCat("cannot run ", argv[0]));
  }
  std::unique_ptr<ServerProcess> process(new ServerProcess(pid, fds[0]));
  // The first address; more follow after commas.
  std::string port =
      process->AwaitLine("tensor_transform_server listening on 127.0.0.1:");
  port = port.substr(0, port.find(','));
  bool metrics = false;
  for (const std::string& flag : flags) {
    metrics |= flag.rfind("--metrics_listen=", 0) == 0;
  }
  const std::string metrics_port =
      metrics ? process->AwaitLine("tensor_transform_server metrics on ") : "0";
  // From here on stderr is read by a thread, so that the server never blocks
  // on a full pipe.
  ServerProcess* p = process.get();
  process->reader_ = std::thread([p] { p->ReadLog(); });
  if (!absl::SimpleAtoi(port, &process->port_) ||
      !absl::SimpleAtoi(metrics_port.substr(metrics_port.rfind(':') + 1),
                        &process->metrics_port_)) {
    return absl::UnavailableError(
        absl::StrCat("the server did not start: ", process->Log()));
  }
  return process;
}

ServerProcess::ServerProcess(pid_t pid, int stderr_fd)
    : pid_(pid), stderr_fd_(stderr_fd) {}

ServerProcess::~ServerProcess() {
  if (!exited_) {
    kill(pid_, SIGKILL);
    WaitExit();
  }
  if (reader_.joinable()) reader_.join();
  close(stderr_fd_);
}

std::string ServerProcess::target() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void ServerProcess::Signal(int signal_number) const {
  kill(pid_, signal_number);
}

int ServerProcess::WaitExit() {
  if (!exited_) {
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    exit_status_ =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return exit_status_;
}

int64_t ServerProcess::PeakRssBytes() const {
  std::ifstream status(absl::StrCat("/proc/", pid_, "/status"));
  std::string key;
  int64_t kib = 0;
  while (status >> key) {
    if (key == "VmHWM:" && status >> kib) return kib << 10;
  }
  return 0;
}

std::string ServerProcess::Log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::string ServerProcess::AwaitLine(const std::string& prefix) {
  // Byte by byte, so that nothing after the line is taken from reader_.
  std::string line;
  char c = 0;
  while (read(stderr_fd_, &c, 1) == 1) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_ += c;
    }
    if (c != '\n') {
      line += c;
      continue;
    }
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    line.clear();
  }
  return "";
}

void ServerProcess::ReadLog() {
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(stderr_fd_, buffer, sizeof(buffer))) > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace tensor_transform::server::test_support
