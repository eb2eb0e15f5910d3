#include "server/shm/sigbus_guard.h"

#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace tensor_transform::server::shm {
namespace {

// One watched mapping. The handler reads it without locks (it may run on
// any thread at any time), seqlock style: `version` is odd while base and
// length describe a live mapping, and a reader that sees it change while it
// read them ignores what it read.
struct Slot {
  std::atomic<bool> claimed{false};
  std::atomic<uint64_t> version{0};
  std::atomic<uintptr_t> base{0};
  std::atomic<size_t> length{0};
  std::atomic<bool> faulted{false};
};

Slot slots[kMaxWatchedMappings];
struct sigaction previous_action;

// The live mapping of `slot` holding `address`: its base and length.
bool Holds(const Slot& slot, uintptr_t address, uintptr_t* base,
           size_t* length) {
  const uint64_t version = slot.version.load(std::memory_order_acquire);
  if (version % 2 == 0) return false;
  *base = slot.base.load(std::memory_order_relaxed);
  *length = slot.length.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (slot.version.load(std::memory_order_relaxed) != version) return false;
  return address - *base < *length;
}

// Async-signal-safe: atomics, mmap and sigaction only.
void OnSigbus(int /*signal*/, siginfo_t* info, void* /*context*/) {
  const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  // si_code > 0: raised by the kernel for a fault, not sent by a process.
  for (int i = 0; info->si_code > 0 && i < kMaxWatchedMappings; ++i) {
    uintptr_t base;
    size_t length;
    if (!Holds(slots[i], address, &base, &length)) continue;
    void* zeros =
        mmap(reinterpret_cast<void*>(base), length, PROT_READ | PROT_WRITE,
             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (zeros == MAP_FAILED) break;
    slots[i].faulted.store(true, std::memory_order_release);
    return;  // the faulting access runs again, on the zero page
  }
  // Not ours: the disposition from before, then the fault happens again (or
  // the sent signal is delivered again once this handler returns).
  sigaction(SIGBUS, &previous_action, nullptr);
  if (info->si_code <= 0) raise(SIGBUS);
}

}  // namespace

absl::Status InstallSigbusGuard() {
  static std::once_flag once;
  static int error = 0;
  std::call_once(once, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_sigaction = OnSigbus;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous_action) != 0) error = errno;
  });
  if (error == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(
      "sigaction(SIGBUS) failed: ", std::strerror(error),
      "; shared memory needs the SIGBUS guard (docs/shared-memory.md)"));
}

absl::StatusOr<int> WatchMapping(void* base, size_t length) {
  for (int i = 0; i < kMaxWatchedMappings; ++i) {
    Slot& slot = slots[i];
    if (slot.claimed.exchange(true, std::memory_order_acquire)) continue;
    slot.faulted.store(false, std::memory_order_relaxed);
    slot.base.store(reinterpret_cast<uintptr_t>(base),
                    std::memory_order_relaxed);
    slot.length.store(length, std::memory_order_relaxed);
    slot.version.fetch_add(1, std::memory_order_release);  // odd: live
    return i;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("shared memory: ", kMaxWatchedMappings,
                   " regions are mapped already in this process"));
}

bool MappingFaulted(int slot) {
  return slots[slot].faulted.load(std::memory_order_acquire);
}

void UnwatchMapping(int slot) {
  slots[slot].version.fetch_add(1, std::memory_order_release);  // even: free
  slots[slot].claimed.store(false, std::memory_order_release);
}

}  // namespace tensor_transform::server::shm
