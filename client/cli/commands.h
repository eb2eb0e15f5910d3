// The client's commands other than load (load_command.h): bench, apply,
// describe and health, behind config structs that main.cc fills from its
// flags. Each returns the process's exit status and writes its results to
// `out`, diagnostics to `err`.
//
//   ConnectionConfig target{"127.0.0.1:50051"};
//   int status = RunHealthCommand(target, absl::Seconds(5), std::cout,
//                                 std::cerr);  // 0 healthy, 1 not
#ifndef TENSOR_TRANSFORM_CLIENT_CLI_COMMANDS_H_
#define TENSOR_TRANSFORM_CLIENT_CLI_COMMANDS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/connection.h"

namespace tensor_transform::client {

// Prints `status` to `err`; returns 2 for InvalidArgument (a usage error),
// else 1.
int FailWith(std::ostream& err, const absl::Status& status);

struct BenchCommandConfig {
  ConnectionConfig connection;  // no target: embedded (embedded_server.h)
  std::string shape = "5000x5000";
  std::string dtype = "float64";
  int repeats = 5;
  std::string warmup = "1";  // untimed calls per row
  std::string rpcs = "apply,inplace,gradient";
  std::string modes = "unary,stream";
  bool shared_memory = false;  // adds mode shm to `modes`
  int64_t chunk_bytes = kDefaultChunkBytes;
  std::string format = "table";
  uint64_t seed = 42;
};
// Exit 1 when a response differs from the reference.
int RunBenchCommand(const BenchCommandConfig& config, std::ostream& out,
                    std::ostream& err);

struct ApplyCommandConfig {
  ConnectionConfig connection;  // no target: embedded (embedded_server.h)
  std::string in;               // .npy input
  std::string out_path;         // .npy output
  std::string upstream;         // gradient: optional .npy upstream
  std::string rpc = "apply";
  std::string method;  // "": the server's default
  int64_t chunk_bytes = kDefaultChunkBytes;
};
// Streams when the request exceeds the server's unary cap; writes the result
// to config.out_path and the server's compute time to `err`.
int RunApplyCommand(const ApplyCommandConfig& config, std::ostream& err);

// Prints the server's Describe answer; exit 1 when it does not answer
// within `timeout`.
int RunDescribeCommand(const ConnectionConfig& connection,
                       absl::Duration timeout, std::ostream& out,
                       std::ostream& err);

// CheckHealth (health.h) on connection.target, which must be set (exit 2
// otherwise): prints its detail; exit 0 healthy, 1 not.
int RunHealthCommand(const ConnectionConfig& connection, absl::Duration timeout,
                     std::ostream& out, std::ostream& err);

}  // namespace tensor_transform::client

#endif  // TENSOR_TRANSFORM_CLIENT_CLI_COMMANDS_H_
