// The production server (server/server.h) on a free loopback port, with
// shared memory on or off, for the tests of the client's shared-memory
// calls; and the names of the regions it has registered.
//
//   SharedMemoryServer server = StartSharedMemoryServer();
//   TensorClient client(MakeChannel(server.target));
//   std::set<std::string> names = RegisteredRegions(server.target);
#ifndef TENSOR_TRANSFORM_TESTS_CLIENT_SHARED_MEMORY_SERVER_H_
#define TENSOR_TRANSFORM_TESTS_CLIENT_SHARED_MEMORY_SERVER_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "server/server.h"

namespace tensor_transform::client::testing {

struct SharedMemoryServer {
  std::unique_ptr<server::RunningServer> server;
  std::string target;  // "127.0.0.1:PORT", or the unix: address
};

// Listening on `listen` (a unix: address, or by default a free loopback
// port). Fails the test (and returns no server) when it cannot start.
SharedMemoryServer StartSharedMemoryServer(
    bool enabled = true, int64_t max_message_bytes = int64_t{1} << 20,
    const std::string& listen = "127.0.0.1:0");

// SystemSharedMemoryStatus: the names of every region the server holds.
std::set<std::string> RegisteredRegions(const std::string& target);

}  // namespace tensor_transform::client::testing

#endif  // TENSOR_TRANSFORM_TESTS_CLIENT_SHARED_MEMORY_SERVER_H_
