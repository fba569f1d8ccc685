// async_pool.hpp — the threads that run live views' slow work (Socket::assign_async /
// start_async) off the reactors.
//
// Owns: a fixed set of worker threads (Config::live_async_workers) and one queue of jobs waiting
// for them, bounded (Config::live_async_queue): a job past the bound is refused at once, never
// queued, so a flood of requests costs a refusal each, not memory. A job is a plain function;
// what it computes reaches its view by the job posting to the view's reactor itself (see
// view_async.cpp). Jobs must not throw (the view's wrapper catches the task's exceptions).
// Manual mode (threads = 0, for the test harness): jobs wait until run_queued() runs them on the
// caller's thread, so a test sees the loading state first and decides when work finishes.
// Lock story: the queue and counts are under one mutex, held only to push or pop; never held
// while a job runs. Shutdown (destructor): jobs still queued are dropped unrun, running ones are
// waited for; nothing is posted to a reactor by the pool itself. A job whose result is no longer
// wanted before it began is withdrawn (withdraw()): it leaves the queue at once, so a view that
// replaces or cancels its tasks frees their places instead of holding them until a worker skips them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cohort::live {

class AsyncPool {
 public:
  using Job = std::function<void()>;

  // What /metrics/live reports (relaxed: statistics only).
  struct Stats {
    std::atomic<std::uint64_t> queued{0};   // waiting for a worker now
    std::atomic<std::uint64_t> running{0};  // on a worker now
    std::atomic<std::uint64_t> started{0};  // ever taken by a worker
    std::atomic<std::uint64_t> refused{0};  // the queue was full
  };

  AsyncPool(unsigned threads, std::size_t queue_limit);
  ~AsyncPool();
  AsyncPool(const AsyncPool&) = delete;
  AsyncPool& operator=(const AsyncPool&) = delete;

  // Any-thread. Queues job and returns its ticket (never 0); 0 (counted as refused) when
  // queue_limit jobs already wait.
  std::uint64_t submit(Job job);
  // Any-thread. Takes the job of ticket out of the queue if no worker has taken it yet (true).
  bool withdraw(std::uint64_t ticket);
  // Manual mode: runs the jobs queued now, in order, on the calling thread; returns how many.
  std::size_t run_queued();

  const Stats& stats() const { return stats_; }

 private:
  struct Queued {
    std::uint64_t ticket;
    Job job;
  };
  void work();
  bool pop(Job& job);  // false once stopping
  void run(Job& job);

  std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Queued> queue_;
  std::uint64_t next_ticket_ = 0;
  bool stopping_ = false;
  Stats stats_;
  std::vector<std::jthread> threads_;
};

}  // namespace cohort::live
