// StartServer's config checks and lifecycle, and the tensor_transform_server
// binary as scripts use it: parse the logged port, call it, SIGTERM, exit 0.
#include "server/server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "proto/tensor_transform.grpc.pb.h"

extern char** environ;

namespace tensor_transform::server {
namespace {

ServerConfig LoopbackConfig() {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  return config;
}

grpc::Status CallDescribe(int port) {
  auto stub = v1::TensorTransform::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  v1::DescribeResponse response;
  grpc::ClientContext context;
  return stub->Describe(&context, v1::DescribeRequest(), &response);
}

TEST(StartServer, RejectsBadConfig) {
  for (int64_t cap : {int64_t{1023}, int64_t{1} << 31}) {
    ServerConfig config = LoopbackConfig();
    config.max_message_bytes = cap;
    EXPECT_EQ(StartServer(config).status().code(),
              absl::StatusCode::kInvalidArgument)
        << cap;
  }
  ServerConfig threads = LoopbackConfig();
  threads.threads = -1;
  EXPECT_EQ(StartServer(threads).status().code(),
            absl::StatusCode::kInvalidArgument);
  ServerConfig listen = LoopbackConfig();
  listen.listen = "";
  EXPECT_EQ(StartServer(listen).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StartServer, ReportsUnavailableWhenPortIsTaken) {
  auto first = StartServer(LoopbackConfig());
  ASSERT_TRUE(first.ok()) << first.status();
  ServerConfig config;
  config.listen = absl::StrCat("127.0.0.1:", (*first)->port());
  EXPECT_EQ(StartServer(config).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(StartServer, ServesWithOneThreadAndShutsDownTwice) {
  ServerConfig config = LoopbackConfig();
  config.threads = 1;
  auto server = StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(CallDescribe((*server)->port()).ok());
  (*server)->Shutdown();
  (*server)->Shutdown();
  (*server)->Wait();
}

// Starts the binary with stderr on a pipe; returns its pid and the pipe.
pid_t SpawnServer(FILE** stderr_out) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  char binary[] = TT_SERVER_BINARY;
  char listen[] = "--listen=127.0.0.1:0";
  char* argv[] = {binary, listen, nullptr};
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, binary, &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  *stderr_out = fdopen(fds[0], "r");
  return pid;
}

TEST(ServerBinary, LogsPortServesAndExitsZeroOnSigterm) {
  FILE* err = nullptr;
  const pid_t pid = SpawnServer(&err);
  ASSERT_GT(pid, 0);
  char line[256] = {};
  ASSERT_NE(fgets(line, sizeof(line), err), nullptr);
  int port = 0;
  ASSERT_EQ(
      sscanf(line, "tensor_transform_server listening on 127.0.0.1:%d", &port),
      1)
      << line;
  EXPECT_TRUE(CallDescribe(port).ok());
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  fclose(err);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace tensor_transform::server
