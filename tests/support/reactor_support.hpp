// reactor_support.hpp — what unit tests on real reactors share: run a function on a reactor and
// wait for its result, a queue that reactor threads fill and the test thread drains, and a
// bounded poll for a condition no event announces. Every wait has a deadline; run_on and
// WaitQueue throw when it passes, naming what they waited for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "net/reactor.hpp"

namespace cohort::test_support {

inline constexpr std::chrono::seconds kReactorDeadline{5};

// Runs fn on reactor and returns its result (rethrowing its exception). Also a barrier: every
// handler posted to that reactor before has run. The task is shared, so a timeout leaves
// nothing dangling behind it.
template <class Fn>
auto run_on(net::Reactor& reactor, Fn fn) {
  auto task = std::make_shared<std::packaged_task<decltype(fn())()>>(std::move(fn));
  auto result = task->get_future();
  reactor.post([task] { (*task)(); });
  if (result.wait_for(kReactorDeadline) != std::future_status::ready)
    throw std::runtime_error("reactor did not run the task in time");
  return result.get();
}

// Items pushed from any thread, taken in order by the test.
template <class T>
class WaitQueue {
 public:
  void push(T item) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }
  // The oldest item; throws if none came within the deadline.
  T next(const std::string& what) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kReactorDeadline, [&] { return !items_.empty(); }))
      throw std::runtime_error("no " + what + " within the deadline");
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  // For a negative: waits on the event itself for `window`; true when none came (nothing taken).
  bool quiet_for(std::chrono::milliseconds window) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, window, [&] { return !items_.empty(); });
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<T> items_;
};

// Polls pred until it holds (true) or `within` passes (false): only for what no event announces
// (a lease expiring inside Redis, a counter another thread bumps). Where an event exists, wait
// on it (WaitQueue) instead.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds within = kReactorDeadline) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace cohort::test_support
