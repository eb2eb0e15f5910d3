#include "core/thread_pool.h"

#include <sched.h>

namespace tensor_transform::core::internal {

size_t UsableCpus() {
  // The affinity mask, not hardware_concurrency(): a container limited to a
  // cpuset sees every CPU of the host in the latter.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<size_t>(count);
  }
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware > 0 ? hardware : 1;
}

ThreadPool::ThreadPool(size_t threads) {
  for (size_t i = 1; i < threads; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

ThreadPool& ThreadPool::Shared() {
  static ThreadPool* const pool = new ThreadPool(UsableCpus());
  return *pool;
}

void ThreadPool::Run(size_t tasks, Task task, void* context) {
  std::unique_lock<std::mutex> run_lock(run_mu_, std::try_to_lock);
  if (workers_.empty() || tasks < 2 || !run_lock.owns_lock()) {
    for (size_t i = 0; i < tasks; ++i) task(context, i);
    return;
  }
  std::unique_lock<std::mutex> lock(mu_);
  task_ = task;
  context_ = context;
  tasks_ = tasks;
  next_ = 0;
  unfinished_ = tasks;
  const uint64_t generation = ++generation_;
  wake_.notify_all();
  RunTasks(lock, generation);
  done_.wait(lock, [this] { return unfinished_ == 0; });
}

void ThreadPool::RunTasks(std::unique_lock<std::mutex>& lock,
                          uint64_t generation) {
  while (generation_ == generation && next_ < tasks_) {
    const size_t index = next_++;
    const Task task = task_;
    void* const context = context_;
    lock.unlock();
    task(context, index);
    lock.lock();
    if (--unfinished_ == 0) done_.notify_all();
  }
}

void ThreadPool::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  // 0, not generation_: a worker that starts after the first Run() must still
  // see that job as new.
  uint64_t seen = 0;
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    RunTasks(lock, seen);
  }
}

}  // namespace tensor_transform::core::internal
