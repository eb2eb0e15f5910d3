// The thread pool runs every task once and really in parallel, a busy pool
// never blocks another caller, and ParallelFor's segments tile a batch of runs
// by its total, cut on cache-line boundaries.
#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
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

// The (run, begin, end) segments ParallelFor hands its callback.
struct Segments {
  std::mutex mu;
  std::vector<std::tuple<size_t, size_t, size_t>> seen;
};

void Record(void* context, size_t run, size_t begin, size_t end) {
  Segments& segments = *static_cast<Segments*>(context);
  std::lock_guard<std::mutex> lock(segments.mu);
  segments.seen.emplace_back(run, begin, end);
}

// Success when the segments cover every element of every run exactly once,
// none is empty, and each cut inside a run starts the first element on or
// after a cache-line boundary of that run's out.
::testing::AssertionResult TileRuns(Segments& segments,
                                    absl::Span<const Run> runs, size_t item) {
  std::sort(segments.seen.begin(), segments.seen.end());
  size_t run = 0, next = 0;
  for (const auto& [r, begin, end] : segments.seen) {
    // Runs skipped so far must be complete (or empty).
    while (run < r) {
      if (next != runs[run].x.size() / item) break;
      ++run, next = 0;
    }
    if (r != run || begin != next || begin >= end) {
      return ::testing::AssertionFailure()
             << "segment (" << r << ", " << begin << ", " << end
             << ") after run " << run << " up to " << next;
    }
    const uintptr_t address =
        reinterpret_cast<uintptr_t>(runs[r].out.data()) + begin * item;
    if (begin != 0 && address % 64 >= item) {
      return ::testing::AssertionFailure()
             << "cut at element " << begin << " of run " << r << " is "
             << address % 64 << " bytes into a cache line";
    }
    next = end;
  }
  for (; run < runs.size(); ++run, next = 0) {
    if (next != runs[run].x.size() / item) {
      return ::testing::AssertionFailure()
             << "run " << run << " covered up to " << next;
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(ParallelFor, OneRunIsTiledOnCacheLineBoundaries) {
  alignas(64) static uint8_t buffer[64 + 1000 * 8];
  for (size_t item : {1, 2, 4, 8}) {
    // Element-aligned and not (a received slice starts anywhere).
    for (size_t misalignment = 0; misalignment < 64; ++misalignment) {
      for (size_t n : {1, 7, 64, 1000}) {
        for (size_t parts : {1, 2, 3, 7, 2000}) {
          SCOPED_TRACE(absl::StrCat("item ", item, ", base +", misalignment,
                                    ", n ", n, ", parts ", parts));
          const absl::Span<uint8_t> bytes(buffer + misalignment, n * item);
          const core::Run run{bytes, {}, bytes};
          Segments segments;
          ParallelFor({&run, 1}, item, parts, &Record, &segments);
          EXPECT_TRUE(TileRuns(segments, {&run, 1}, item));
        }
      }
    }
  }
}

// Random batches of runs, empty and tiny ones among them, each at a random
// misalignment: the parts are cut by the total, across run boundaries.
TEST(ParallelFor, RunsAreTiledByTheirTotalAcrossRunBoundaries) {
  SCOPED_TRACE("seed 7");
  std::mt19937_64 rng(7);
  std::vector<uint8_t> buffer(1 << 16);
  for (int trial = 0; trial < 200; ++trial) {
    const size_t item = size_t{1} << (rng() % 4);
    std::vector<core::Run> runs(rng() % 20);
    size_t used = 0;
    for (core::Run& run : runs) {
      const size_t n = rng() % 3 == 0 ? rng() % 3 : rng() % 300;
      used += rng() % 64;
      const absl::Span<uint8_t> bytes(buffer.data() + used, n * item);
      run = {bytes, {}, bytes};
      used += n * item;
    }
    for (size_t parts : {1, 2, 3, 8, 300}) {
      SCOPED_TRACE(absl::StrCat("trial ", trial, ", parts ", parts));
      Segments segments;
      ParallelFor(runs, item, parts, &Record, &segments);
      ASSERT_TRUE(TileRuns(segments, runs, item));
      // Each of the parts - 1 cuts splits at most one run in two: the batch
      // is cut as a whole, not each run into parts.
      size_t non_empty = 0;
      for (const core::Run& run : runs) non_empty += !run.x.empty();
      EXPECT_LE(segments.seen.size(), non_empty + parts - 1);
    }
  }
}

}  // namespace
}  // namespace tensor_transform::core::internal
