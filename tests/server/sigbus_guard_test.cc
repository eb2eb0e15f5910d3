// The SIGBUS guard (server/shm/sigbus_guard.h) in this very process: a
// watched mapping whose object is truncated under it turns into zero pages
// and is flagged, and the process lives on; any other SIGBUS still kills.
#include "server/shm/sigbus_guard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "server/shm/region.h"
#include "tests/server/sanitized.h"
#include "tests/server/shm_support.h"

namespace tensor_transform::server::shm {
namespace {

using test_support::ShmDir;
using test_support::ShmObject;

constexpr size_t kPage = 4096;
constexpr size_t kLength = 4 * kPage;

// The object mapped shared, as the registry maps it.
volatile uint8_t* Map(const ShmObject& object) {
  void* base = mmap(nullptr, kLength, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_POPULATE, object.fd(), 0);
  EXPECT_NE(base, MAP_FAILED);
  return static_cast<volatile uint8_t*>(base);
}

TEST(SigbusGuardTest, TruncatedMappingBecomesZeroPagesAndIsFlagged) {
  ASSERT_TRUE(InstallSigbusGuard().ok());
  ShmDir dir;
  ShmObject object(dir, "tensor_transform_a", kLength);
  object.Write(0, std::string(kLength, 'x'));
  volatile uint8_t* bytes = Map(object);
  absl::StatusOr<int> slot = WatchMapping(const_cast<uint8_t*>(bytes), kLength);
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(bytes[3 * kPage], 'x');
  EXPECT_FALSE(MappingFaulted(*slot));

  object.Truncate(0);
  EXPECT_EQ(bytes[3 * kPage], 0);  // SIGBUS, handled: now a zero page
  EXPECT_TRUE(MappingFaulted(*slot));
  bytes[1] = 7;  // and writable, though nobody else sees it
  EXPECT_EQ(bytes[1], 7);
  EXPECT_EQ(object.Read(0, 1), "");

  UnwatchMapping(*slot);
  munmap(const_cast<uint8_t*>(bytes), kLength);
}

TEST(SigbusGuardTest, RegionReportsTheTruncationOnceTouched) {
  ASSERT_TRUE(InstallSigbusGuard().ok());
  ShmDir dir;
  ShmObject object(dir, "tensor_transform_a", kLength);
  const int dir_fd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dir_fd, 0);
  const uid_t uid = geteuid();
  auto region = Region::Open(
      dir_fd, dir.path(),
      {"r", "/tensor_transform_a", "tensor_transform_a", 100, kLength - 100},
      {&uid, 1});
  close(dir_fd);
  ASSERT_TRUE(region.ok()) << region.status();
  ASSERT_TRUE((*region)->CheckIntact().ok());

  object.Truncate(kPage);
  absl::Span<uint8_t> bytes = (*region)->bytes();
  bytes[bytes.size() - 1] = 1;  // beyond the new end: SIGBUS, handled
  const absl::Status status = (*region)->CheckIntact();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("shrank during a call"), std::string::npos)
      << status;
  // Regrowing the object does not revive the region: its mapping is gone.
  object.Truncate(kLength);
  EXPECT_EQ((*region)->CheckIntact().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A truncated memfd (no file left behind by the child that dies), mapped
// but not watched, touched beyond its end.
void TouchUnwatchedTruncatedMapping() {
  const int fd = memfd_create("unwatched", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, kLength) != 0) return;
  void* base =
      mmap(nullptr, kLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED || ftruncate(fd, 0) != 0) return;
  static_cast<volatile uint8_t*>(base)[0] = 1;
}

TEST(SigbusGuardTest, OtherSigbusStillKills) {
  ASSERT_TRUE(InstallSigbusGuard().ok());
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Not the guard's to absorb: SIGBUS kills. (Under a sanitizer, whose own
  // handler was there before the guard's, its report ends the process
  // instead: by abort under ASan, with exit status 66 under TSan.)
  const auto killed = [](int status) {
    if (test_support::kSanitized) {
      return WIFSIGNALED(status) ||
             (WIFEXITED(status) && WEXITSTATUS(status) != 0);
    }
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
  };
  EXPECT_EXIT(TouchUnwatchedTruncatedMapping(), killed, "");
  EXPECT_EXIT(raise(SIGBUS), killed, "");
}

TEST(SigbusGuardTest, WatchesAFixedNumberOfMappings) {
  std::vector<int> slots;
  static uint8_t fake[1];
  absl::Status refused;
  while (refused.ok() && slots.size() <= kMaxWatchedMappings) {
    absl::StatusOr<int> slot = WatchMapping(fake, 1);
    refused = slot.status();
    if (slot.ok()) slots.push_back(*slot);
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_LE(slots.size(), static_cast<size_t>(kMaxWatchedMappings));
  for (int slot : slots) UnwatchMapping(slot);
  absl::StatusOr<int> again = WatchMapping(fake, 1);
  ASSERT_TRUE(again.ok());
  UnwatchMapping(*again);
}

}  // namespace
}  // namespace tensor_transform::server::shm
