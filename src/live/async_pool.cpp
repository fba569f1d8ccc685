// async_pool.cpp — see async_pool.hpp.
#include "live/async_pool.hpp"

#include <algorithm>

namespace cohort::live {

AsyncPool::AsyncPool(unsigned threads, std::size_t queue_limit) : queue_limit_(queue_limit) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

AsyncPool::~AsyncPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stats_.queued.store(0, std::memory_order_relaxed);
    queue_.clear();
  }
  ready_.notify_all();
  threads_.clear();  // jthread joins
}

std::uint64_t AsyncPool::submit(Job job) {
  std::uint64_t ticket = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) {
      stats_.refused.fetch_add(1, std::memory_order_relaxed);
      return 0;
    }
    ticket = ++next_ticket_;
    queue_.push_back(Queued{ticket, std::move(job)});
    stats_.queued.fetch_add(1, std::memory_order_relaxed);
  }
  ready_.notify_one();
  return ticket;
}

bool AsyncPool::withdraw(std::uint64_t ticket) {
  Job dropped;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  auto it = std::find_if(queue_.begin(), queue_.end(), [ticket](const Queued& q) { return q.ticket == ticket; });
  if (it == queue_.end()) return false;
  dropped = std::move(it->job);
  queue_.erase(it);
  stats_.queued.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

std::size_t AsyncPool::run_queued() {
  std::deque<Queued> jobs;
  {
    std::lock_guard lock(mutex_);
    jobs.swap(queue_);
    stats_.queued.store(0, std::memory_order_relaxed);
  }
  for (auto& q : jobs) run(q.job);
  return jobs.size();
}

void AsyncPool::work() {
  Job job;
  while (pop(job)) run(job);
}

bool AsyncPool::pop(Job& job) {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (stopping_) return false;
  job = std::move(queue_.front().job);
  queue_.pop_front();
  stats_.queued.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

void AsyncPool::run(Job& job) {
  stats_.started.fetch_add(1, std::memory_order_relaxed);
  stats_.running.fetch_add(1, std::memory_order_relaxed);
  job();
  job = nullptr;  // what it captured goes now, on this thread, not when the next job replaces it
  stats_.running.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace cohort::live
