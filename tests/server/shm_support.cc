#include "tests/server/shm_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tensor_transform::server::test_support {

ShmDir::ShmDir() {
  char path[] = "/dev/shm/tt_server_test_XXXXXX";
  EXPECT_NE(mkdtemp(path), nullptr);
  path_ = path;
}

ShmDir::~ShmDir() { std::filesystem::remove_all(path_); }

ShmObject::ShmObject(const ShmDir& dir, const std::string& name, size_t size)
    : name_(name) {
  fd_ = open((dir.path() + "/" + name).c_str(),
             O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  EXPECT_GE(fd_, 0) << name;
  Truncate(static_cast<off_t>(size));
}

ShmObject::~ShmObject() { close(fd_); }

void ShmObject::Write(uint64_t offset, const std::string& bytes) const {
  EXPECT_EQ(pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(bytes.size()));
}

std::string ShmObject::Read(uint64_t offset, size_t size) const {
  std::string bytes(size, '\0');
  const ssize_t n = pread(fd_, bytes.data(), size, static_cast<off_t>(offset));
  bytes.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));
  return bytes;
}

void ShmObject::Truncate(off_t size) const {
  EXPECT_EQ(ftruncate(fd_, size), 0);
}

LeaseHolder::LeaseHolder(v1::TensorTransform::Stub& stub) {
  reader_ = stub.SystemSharedMemoryLease(&context_, {});
  v1::SystemSharedMemoryLeaseResponse response;
  if (reader_->Read(&response)) {
    token_ = response.lease();
  } else {
    Finish();
  }
}

LeaseHolder::~LeaseHolder() { Cancel(); }

grpc::Status LeaseHolder::Cancel() {
  if (!finished_) context_.TryCancel();
  return Finish();
}

grpc::Status LeaseHolder::Finish() {
  if (!finished_) {
    v1::SystemSharedMemoryLeaseResponse more;
    while (reader_->Read(&more)) {
    }
    status_ = reader_->Finish();
    finished_ = true;
  }
  return status_;
}

grpc::Status RegisterRegion(v1::TensorTransform::Stub& stub,
                            const std::string& lease, const std::string& name,
                            const std::string& key, uint64_t offset,
                            uint64_t byte_size) {
  v1::SystemSharedMemoryRegisterRequest request;
  request.set_lease(lease);
  request.set_name(name);
  request.set_key(key);
  request.set_offset(offset);
  request.set_byte_size(byte_size);
  v1::SystemSharedMemoryRegisterResponse response;
  grpc::ClientContext context;
  return stub.SystemSharedMemoryRegister(&context, request, &response);
}

grpc::Status RegionNames(v1::TensorTransform::Stub& stub,
                         const std::string& name,
                         std::vector<std::string>* names) {
  v1::SystemSharedMemoryStatusRequest request;
  request.set_name(name);
  v1::SystemSharedMemoryStatusResponse response;
  grpc::ClientContext context;
  grpc::Status status =
      stub.SystemSharedMemoryStatus(&context, request, &response);
  names->clear();
  for (const auto& [each, region] : response.regions()) {
    EXPECT_EQ(region.name(), each);
    names->push_back(each);
  }
  std::sort(names->begin(), names->end());
  return status;
}

v1::Tensor SharedTensor(v1::DType dtype, const std::vector<int64_t>& shape,
                        const v1::SharedMemoryRef& ref) {
  v1::Tensor tensor;
  tensor.set_dtype(dtype);
  tensor.mutable_shape()->Add(shape.begin(), shape.end());
  *tensor.mutable_shared_memory() = ref;
  return tensor;
}

void SharedMemoryServerTest::Start(bool enabled) {
  ServerConfig config;
  config.shared_memory.enabled = enabled;
  Start(config);
}

void SharedMemoryServerTest::Start(ServerConfig config) {
  stub_.reset();
  server_.reset();
  config.listen = "127.0.0.1:0";
  config.shared_memory.dir = dir_.path();
  absl::StatusOr<std::unique_ptr<RunningServer>> server = StartServer(config);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  stub_ = v1::TensorTransform::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                          grpc::InsecureChannelCredentials()));
}

v1::SharedMemoryRef Ref(const std::string& region, uint64_t offset,
                        uint64_t byte_size) {
  v1::SharedMemoryRef ref;
  ref.set_region(region);
  ref.set_offset(offset);
  ref.set_byte_size(byte_size);
  return ref;
}

}  // namespace tensor_transform::server::test_support
