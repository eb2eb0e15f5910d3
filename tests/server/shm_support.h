// Shared-memory helpers for the server tests: a private directory of
// POSIX-style objects under /dev/shm (the server's --shared_memory_dir in
// the test), objects read and written through their file descriptor (never
// mapped here, so that truncating one cannot fault the test), and a client's
// lease held open by a SystemSharedMemoryLease call.
//
//   ShmDir dir;
//   ShmObject object(dir, "tensor_transform_x", 4096);
//   object.Write(0, bytes);
//   LeaseHolder lease(stub);
//   grpc::Status s = RegisterRegion(stub, lease.token(), "x",
//                                   object.key(), 0, 4096);
#ifndef TENSOR_TRANSFORM_TESTS_SERVER_SHM_SUPPORT_H_
#define TENSOR_TRANSFORM_TESTS_SERVER_SHM_SUPPORT_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proto/tensor_transform.grpc.pb.h"
#include "server/server.h"

namespace tensor_transform::server::test_support {

namespace v1 = ::tensor_transform::v1;

inline constexpr char kPrefix[] = "tensor_transform_";

// A fresh directory under /dev/shm, removed with its contents.
class ShmDir {
 public:
  ShmDir();
  ~ShmDir();
  ShmDir(const ShmDir&) = delete;
  ShmDir& operator=(const ShmDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A regular file of `size` zero bytes in `dir`, owned by this process.
class ShmObject {
 public:
  ShmObject(const ShmDir& dir, const std::string& name, size_t size);
  ~ShmObject();
  ShmObject(const ShmObject&) = delete;
  ShmObject& operator=(const ShmObject&) = delete;

  // "/name", as shm_open takes it.
  std::string key() const { return "/" + name_; }
  int fd() const { return fd_; }
  void Write(uint64_t offset, const std::string& bytes) const;
  std::string Read(uint64_t offset, size_t size) const;
  void Truncate(off_t size) const;

 private:
  std::string name_;
  int fd_;
};

// A lease held by an open SystemSharedMemoryLease call; cancelled on
// destruction (or Cancel()), which ends the lease on the server.
class LeaseHolder {
 public:
  explicit LeaseHolder(v1::TensorTransform::Stub& stub);
  ~LeaseHolder();
  // Empty when the call ended before it sent a token; then Cancel()
  // returns why.
  const std::string& token() const { return token_; }
  // Cancels the call and returns its status (once the call ended).
  grpc::Status Cancel();
  // Waits for the server to end the call; its status.
  grpc::Status Finish();

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::SystemSharedMemoryLeaseResponse>>
      reader_;
  std::string token_;
  bool finished_ = false;
  grpc::Status status_;
};

grpc::Status RegisterRegion(v1::TensorTransform::Stub& stub,
                            const std::string& lease, const std::string& name,
                            const std::string& key, uint64_t offset,
                            uint64_t byte_size);

// The names SystemSharedMemoryStatus lists (every region when `name` is
// empty); its status when not OK.
grpc::Status RegionNames(v1::TensorTransform::Stub& stub,
                         const std::string& name,
                         std::vector<std::string>* names);

v1::SharedMemoryRef Ref(const std::string& region, uint64_t offset,
                        uint64_t byte_size);

// A tensor of `dtype` and `shape` whose bytes are at `ref`.
v1::Tensor SharedTensor(v1::DType dtype, const std::vector<int64_t>& shape,
                        const v1::SharedMemoryRef& ref);

// A server on 127.0.0.1:0 serving shared memory from dir_ (or not), and a
// stub to it.
class SharedMemoryServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(/*enabled=*/true); }
  void Start(bool enabled);
  // `config` with listen and shared_memory.dir set here.
  void Start(ServerConfig config);
  v1::TensorTransform::Stub& stub() { return *stub_; }
  RunningServer& server() { return *server_; }

  ShmDir dir_;  // outlives the server

 private:
  std::unique_ptr<RunningServer> server_;
  std::unique_ptr<v1::TensorTransform::Stub> stub_;
};

}  // namespace tensor_transform::server::test_support

#endif  // TENSOR_TRANSFORM_TESTS_SERVER_SHM_SUPPORT_H_
