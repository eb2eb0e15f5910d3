// The shared-memory registry (server/shm) on its own: the key and name
// rules, the object checks, offsets and sizes, leases and their limits.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <string>

#include "server/shm/names.h"
#include "server/shm/peer.h"
#include "server/shm/registry.h"
#include "tests/server/shm_support.h"

namespace tensor_transform::server::shm {
namespace {

using test_support::kPrefix;
using test_support::ShmDir;
using test_support::ShmObject;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { Create(SharedMemoryOptions()); }

  void Create(SharedMemoryOptions options) {
    options.enabled = true;
    options.dir = dir_.path();
    auto registry = Registry::Create(options);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
    lease_ = registry_->OpenLease().value();
  }

  absl::StatusCode Register(const std::string& name, const std::string& key,
                            uint64_t offset, uint64_t byte_size) {
    return registry_->Register(lease_, {name, key, offset, byte_size}).code();
  }

  ShmDir dir_;
  std::unique_ptr<Registry> registry_;
  std::string lease_;
};

TEST_F(RegistryTest, RejectsBadNames) {
  ShmObject object(dir_, "tensor_transform_a", 64);
  for (const std::string& name :
       {std::string(), std::string("a/b"), std::string("a b"),
        std::string(kMaxRegionNameLength + 1, 'a')}) {
    EXPECT_EQ(Register(name, object.key(), 0, 64),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
  EXPECT_EQ(
      Register(std::string(kMaxRegionNameLength, 'a'), object.key(), 0, 64),
      absl::StatusCode::kOk);
}

TEST_F(RegistryTest, RejectsBadKeys) {
  ShmObject object(dir_, "tensor_transform_a", 64);
  const std::string suffix(kMaxKeySuffixLength + 1, 'a');
  for (const std::string& key :
       {std::string("tensor_transform_a/b"),
        std::string("//tensor_transform_a"),
        std::string("../tensor_transform_a"),
        std::string("tensor_transform_.."),
        std::string("tensor_transform_a..b"), std::string("tensor_transform_"),
        std::string("other_a"), std::string("/"), std::string(""),
        std::string(kPrefix) + suffix, std::string("tensor_transform_a\n")}) {
    EXPECT_EQ(Register("r", key, 0, 64), absl::StatusCode::kInvalidArgument)
        << key;
  }
  // With and without shm_open's leading '/'.
  EXPECT_EQ(Register("r1", "/tensor_transform_a", 0, 64),
            absl::StatusCode::kOk);
  EXPECT_EQ(Register("r2", "tensor_transform_a", 0, 64), absl::StatusCode::kOk);
}

TEST_F(RegistryTest, RejectsSymlinksAndNonFiles) {
  ShmObject object(dir_, "tensor_transform_a", 64);
  ASSERT_EQ(symlink("tensor_transform_a",
                    (dir_.path() + "/tensor_transform_link").c_str()),
            0);
  EXPECT_EQ(Register("r", "/tensor_transform_link", 0, 64),
            absl::StatusCode::kPermissionDenied);
  ASSERT_EQ(mkdir((dir_.path() + "/tensor_transform_dir").c_str(), 0700), 0);
  EXPECT_EQ(Register("r", "/tensor_transform_dir", 0, 64),
            absl::StatusCode::kPermissionDenied);
  ASSERT_EQ(mkfifo((dir_.path() + "/tensor_transform_fifo").c_str(), 0600), 0);
  EXPECT_EQ(Register("r", "/tensor_transform_fifo", 0, 64),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Register("r", "/tensor_transform_missing", 0, 64),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, RejectsObjectsOfOtherOwners) {
  ASSERT_EQ(geteuid(), 0u) << "the test chowns an object to uid 65534";
  ShmObject object(dir_, "tensor_transform_foreign", 64);
  ASSERT_EQ(fchown(object.fd(), 65534, 65534), 0);
  EXPECT_EQ(Register("r", object.key(), 0, 64),
            absl::StatusCode::kPermissionDenied);
  SharedMemoryOptions options;
  options.uids = {65534};
  Create(options);
  EXPECT_EQ(Register("r", object.key(), 0, 64), absl::StatusCode::kOk);
}

TEST_F(RegistryTest, ChecksOffsetsAndSizes) {
  ShmObject object(dir_, "tensor_transform_a", 8192);
  EXPECT_EQ(Register("r", object.key(), 0, 0),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Register("r", object.key(), 0, 8193),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Register("r", object.key(), 8000, 193),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Register("r", object.key(), kMax, 2),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Register("r", object.key(), kMax - 10, 20),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Register("r", object.key(), 8192, 1),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(Register("r", object.key(), 8191, 1), absl::StatusCode::kOk);
}

TEST_F(RegistryTest, MapsRegionsAtAnyOffset) {
  ShmObject object(dir_, "tensor_transform_a", 3 * 4096);
  const std::string bytes = "0123456789abcdef";
  object.Write(4096 + 100 + 5, bytes);
  ASSERT_EQ(Register("r", object.key(), 4096 + 100, 500),
            absl::StatusCode::kOk);
  absl::StatusOr<SharedSpan> span = registry_->Resolve("r", 5, 16, "x");
  ASSERT_TRUE(span.ok()) << span.status();
  EXPECT_EQ(std::string(span->bytes.begin(), span->bytes.end()), bytes);
  EXPECT_EQ(span->object_offset, 4096u + 100 + 5);
  // Writes reach the object: the mapping is shared.
  span->bytes[0] = 'X';
  EXPECT_EQ(object.Read(4096 + 100 + 5, 1), "X");
}

TEST_F(RegistryTest, ResolveChecksRegionAndRange) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  ASSERT_EQ(Register("r", object.key(), 0, 1000), absl::StatusCode::kOk);
  EXPECT_EQ(registry_->Resolve("s", 0, 8, "x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Resolve("r", 993, 8, "x").status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(registry_->Resolve("r", kMax - 3, 8, "x").status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(registry_->Resolve("r", 992, 8, "x").status().code(),
            absl::StatusCode::kOk);
  EXPECT_EQ(registry_->Resolve("r", 1000, 0, "x").status().code(),
            absl::StatusCode::kOk);
}

TEST_F(RegistryTest, RegionShrunkAfterRegistrationIsFailedPrecondition) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  ASSERT_EQ(Register("r", object.key(), 0, 4096), absl::StatusCode::kOk);
  object.Truncate(4095);
  const absl::Status status = registry_->Resolve("r", 0, 8, "x").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
}

TEST_F(RegistryTest, NamesAreUniqueAcrossLeases) {
  ShmObject object(dir_, "tensor_transform_a", 64);
  ASSERT_EQ(Register("r", object.key(), 0, 64), absl::StatusCode::kOk);
  EXPECT_EQ(Register("r", object.key(), 0, 64),
            absl::StatusCode::kAlreadyExists);
  const std::string other = registry_->OpenLease().value();
  EXPECT_EQ(registry_->Register(other, {"r", object.key(), 0, 64}).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(RegistryTest, LeasesOwnTheirRegions) {
  ShmObject object(dir_, "tensor_transform_a", 64);
  ASSERT_EQ(Register("r", object.key(), 0, 64), absl::StatusCode::kOk);
  const std::string other = registry_->OpenLease().value();
  EXPECT_EQ(registry_->Unregister(other, "r").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(registry_->Unregister(other, "").code(), absl::StatusCode::kOk);
  EXPECT_EQ(registry_->regions(), 1);
  EXPECT_EQ(registry_->Unregister("no such lease", "r").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(
      registry_->Register("no such lease", {"s", object.key(), 0, 64}).code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Unregister(lease_, "s").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(registry_->Unregister(lease_, "r").code(), absl::StatusCode::kOk);
  EXPECT_EQ(registry_->Resolve("r", 0, 1, "x").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, EndedLeaseUnregistersButHeldBytesStayMapped) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  ASSERT_EQ(Register("r", object.key(), 0, 4096), absl::StatusCode::kOk);
  ASSERT_EQ(Register("s", object.key(), 0, 100), absl::StatusCode::kOk);
  absl::StatusOr<SharedSpan> held = registry_->Resolve("r", 0, 4096, "x");
  ASSERT_TRUE(held.ok());
  registry_->EndLease(lease_);
  EXPECT_EQ(registry_->regions(), 0);
  EXPECT_EQ(registry_->mapped_bytes(), 0);
  EXPECT_EQ(registry_->Status("").value().size(), 0u);
  held->bytes[4095] = 'Z';  // a call still computing in it
  EXPECT_EQ(object.Read(4095, 1), "Z");
  EXPECT_EQ(Register("t", object.key(), 0, 64), absl::StatusCode::kNotFound);
}

TEST_F(RegistryTest, EnforcesLimits) {
  SharedMemoryOptions options;
  options.max_regions = 2;
  options.max_bytes = 100;
  options.max_leases = 2;
  Create(options);
  ShmObject object(dir_, "tensor_transform_a", 4096);
  ASSERT_EQ(Register("a", object.key(), 0, 60), absl::StatusCode::kOk);
  EXPECT_EQ(Register("b", object.key(), 0, 41),
            absl::StatusCode::kResourceExhausted);
  ASSERT_EQ(Register("b", object.key(), 0, 40), absl::StatusCode::kOk);
  EXPECT_EQ(Register("c", object.key(), 0, 1),
            absl::StatusCode::kResourceExhausted);
  ASSERT_EQ(registry_->Unregister(lease_, "a").code(), absl::StatusCode::kOk);
  EXPECT_EQ(Register("c", object.key(), 0, 60), absl::StatusCode::kOk);
  EXPECT_EQ(registry_->mapped_bytes(), 100);
  ASSERT_TRUE(registry_->OpenLease().ok());
  EXPECT_EQ(registry_->OpenLease().status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(RegistryTest, StatusListsRegions) {
  ShmObject object(dir_, "tensor_transform_a", 4096);
  ASSERT_EQ(Register("a", "tensor_transform_a", 10, 60), absl::StatusCode::kOk);
  absl::StatusOr<std::vector<RegionSpec>> specs = registry_->Status("a");
  ASSERT_TRUE(specs.ok());
  ASSERT_EQ(specs->size(), 1u);
  EXPECT_EQ((*specs)[0].key, "tensor_transform_a");
  EXPECT_EQ((*specs)[0].offset, 10u);
  EXPECT_EQ((*specs)[0].byte_size, 60u);
  EXPECT_EQ(registry_->Status("b").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(RegistryOptionsTest, RejectsBadOptions) {
  ShmDir dir;
  for (const std::string& prefix :
       {std::string(), std::string(".x"), std::string("a/b"),
        std::string("a..b"), std::string(kMaxPrefixLength + 1, 'a')}) {
    SharedMemoryOptions options;
    options.dir = dir.path();
    options.prefix = prefix;
    EXPECT_EQ(Registry::Create(options).status().code(),
              absl::StatusCode::kInvalidArgument)
        << prefix;
  }
  SharedMemoryOptions options;
  options.dir = dir.path();
  options.max_regions = 0;
  EXPECT_EQ(Registry::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = SharedMemoryOptions();
  options.dir = dir.path() + "/missing";
  EXPECT_EQ(Registry::Create(options).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(PeerTest, OnlyUnixSocketsAndLoopbackAreLocal) {
  for (const char* peer :
       {"unix:/tmp/tt.sock", "unix-abstract:tt", "ipv4:127.0.0.1:5000",
        "ipv4:127.1.2.3:1", "ipv6:%5B::1%5D:5000", "ipv6:[::1]:5000"}) {
    EXPECT_TRUE(IsLocalPeer(peer)) << peer;
  }
  for (const char* peer :
       {"ipv4:10.0.0.1:5000", "ipv4:128.0.0.1:1", "ipv4:1.127.0.0:1",
        "ipv6:%5B::2%5D:5000", "ipv6:%5B::ffff:10.0.0.1%5D:1",
        "ipv6:%5B::1:2%5D:5000", "", "inproc", "127.0.0.1:5000"}) {
    EXPECT_FALSE(IsLocalPeer(peer)) << peer;
  }
}

}  // namespace
}  // namespace tensor_transform::server::shm
