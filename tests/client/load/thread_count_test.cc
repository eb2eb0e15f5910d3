#include "client/load/thread_count.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tensor_transform::client {
namespace {

TEST(ThreadCountTest, CountsThreadsThisProcessStarts) {
  const int before = ThreadCount();
  ASSERT_GE(before, 1);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return release; });
    });
  }
  EXPECT_GE(ThreadCount(), before + 4);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  for (std::thread& thread : threads) thread.join();
}

}  // namespace
}  // namespace tensor_transform::client
