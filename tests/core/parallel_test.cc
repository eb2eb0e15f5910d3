// The thread pool runs every task once and really in parallel, a busy pool
// never blocks another caller, and ParallelFor's ranges tile the array on
// cache-line boundaries.
#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"

namespace tensor_transform::core::internal {
namespace {

// Generous: only a broken pool waits this long; a working one takes
// microseconds. Nothing is asserted about speed.
constexpr auto kPatience = std::chrono::seconds(30);

TEST(ThreadPool, RunsEveryTaskExactlyOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> runs(1000);
  pool.Run(
      runs.size(),
      [](void* context, size_t i) {
        (*static_cast<std::vector<std::atomic<int>>*>(context))[i]++;
      },
      &runs);
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i], 1) << i;
}

// Each task waits for the other: both finish only if they run at once.
struct Rendezvous {
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  int met = 0;
};

TEST(ThreadPool, RunsTasksOnSeveralThreadsAtOnce) {
  ThreadPool pool(2);
  Rendezvous r;
  pool.Run(
      2,
      [](void* context, size_t) {
        Rendezvous& r = *static_cast<Rendezvous*>(context);
        std::unique_lock<std::mutex> lock(r.mu);
        ++r.arrived;
        r.cv.notify_all();
        if (r.cv.wait_for(lock, kPatience, [&] { return r.arrived == 2; })) {
          ++r.met;
        }
      },
      &r);
  EXPECT_EQ(r.met, 2);
}

TEST(ThreadPool, BusyPoolRunsAnotherCallersTasksOnItsOwnThread) {
  ThreadPool pool(2);
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool entered = false, open = false;
  } gate;
  // The first call holds the pool until the gate opens.
  std::thread holder([&] {
    pool.Run(
        2,
        [](void* context, size_t) {
          Gate& g = *static_cast<Gate*>(context);
          std::unique_lock<std::mutex> lock(g.mu);
          g.entered = true;
          g.cv.notify_all();
          g.cv.wait_for(lock, kPatience, [&] { return g.open; });
        },
        &gate);
  });
  {
    std::unique_lock<std::mutex> lock(gate.mu);
    ASSERT_TRUE(
        gate.cv.wait_for(lock, kPatience, [&] { return gate.entered; }));
  }
  std::vector<std::thread::id> ran_on;
  pool.Run(
      3,
      [](void* context, size_t) {
        static_cast<std::vector<std::thread::id>*>(context)->push_back(
            std::this_thread::get_id());
      },
      &ran_on);
  const bool finished_while_held = !gate.open;
  {
    std::lock_guard<std::mutex> lock(gate.mu);
    gate.open = true;
  }
  gate.cv.notify_all();
  holder.join();
  EXPECT_TRUE(finished_while_held);
  ASSERT_EQ(ran_on.size(), 3u);
  for (const auto& id : ran_on) EXPECT_EQ(id, std::this_thread::get_id());
}

struct Ranges {
  std::mutex mu;
  std::vector<std::pair<size_t, size_t>> seen;
};

void Record(void* context, size_t begin, size_t end) {
  Ranges& ranges = *static_cast<Ranges*>(context);
  std::lock_guard<std::mutex> lock(ranges.mu);
  ranges.seen.emplace_back(begin, end);
}

TEST(ParallelFor, RangesTileTheArrayOnCacheLineBoundaries) {
  alignas(64) static uint8_t buffer[64 + 1000 * 8];
  for (size_t item : {1, 2, 4, 8}) {
    for (size_t misalignment = 0; misalignment < 64; misalignment += item) {
      for (size_t n : {1, 7, 64, 1000}) {
        for (size_t parts : {1, 2, 3, 7, 2000}) {
          SCOPED_TRACE(absl::StrCat("item ", item, ", base +", misalignment,
                                    ", n ", n, ", parts ", parts));
          const uint8_t* base = buffer + misalignment;
          Ranges ranges;
          ParallelFor(n, item, base, parts, &Record, &ranges);
          std::sort(ranges.seen.begin(), ranges.seen.end());
          size_t next = 0;
          for (const auto& [begin, end] : ranges.seen) {
            ASSERT_EQ(begin, next);
            ASSERT_LT(begin, end);
            if (begin != 0) {
              EXPECT_EQ(reinterpret_cast<uintptr_t>(base + begin * item) % 64,
                        0u);
            }
            next = end;
          }
          EXPECT_EQ(next, n);
        }
      }
    }
  }
}

}  // namespace
}  // namespace tensor_transform::core::internal
