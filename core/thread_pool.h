// Internal: a persistent pool of worker threads for splitting one large
// kernel call, so that a call does not pay for creating threads.
//
//   ThreadPool::Shared().Run(parts, &RunPart, &context);  // RunPart(ctx, i)
//
// One call uses the pool at a time. A call that finds it busy runs all its
// tasks on its own thread: under concurrent requests every core already has
// work, and queueing behind another call would only add latency. Running
// tasks allocates nothing.
#ifndef TENSOR_TRANSFORM_CORE_THREAD_POOL_H_
#define TENSOR_TRANSFORM_CORE_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace tensor_transform::core::internal {

class ThreadPool {
 public:
  using Task = void (*)(void* context, size_t index);

  // `threads` counts the calling thread: threads - 1 workers are started.
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The process-wide pool, one thread per CPU this process may run on,
  // started on first use and never destroyed (workers may still be waiting
  // when the process exits).
  static ThreadPool& Shared();

  // Threads that run tasks, the calling thread included.
  size_t size() const { return workers_.size() + 1; }

  // Runs task(context, i) for every i in [0, tasks), on the workers and the
  // calling thread, and returns when all have finished.
  void Run(size_t tasks, Task task, void* context);

 private:
  void WorkerLoop();
  // Runs tasks of job `generation` until none is left to claim; mu_ is held
  // on entry and on return.
  void RunTasks(std::unique_lock<std::mutex>& lock, uint64_t generation);

  std::mutex run_mu_;  // held by the one call using the pool
  std::mutex mu_;
  std::condition_variable wake_;  // a new job, or stop
  std::condition_variable done_;  // the last task of a job finished
  bool stop_ = false;
  uint64_t generation_ = 0;  // counts jobs
  Task task_ = nullptr;
  void* context_ = nullptr;
  size_t tasks_ = 0;
  size_t next_ = 0;        // first unclaimed task of the current job
  size_t unfinished_ = 0;  // tasks of the current job not yet finished
  std::vector<std::thread> workers_;
};

// CPUs this process may run on (its affinity mask), at least 1.
size_t UsableCpus();

}  // namespace tensor_transform::core::internal

#endif  // TENSOR_TRANSFORM_CORE_THREAD_POOL_H_
