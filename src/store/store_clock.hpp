// store_clock.hpp — the time a node's stores read for leases, queued ops and coalescing.
//
// Owns: one reading of "now" for every deadline a store sets (a lease's expiry, a queued op's
// lock_timeout, a coalesced broadcast). A node's clock runs with the steady clock. A test
// harness (cohort/testing.hpp) holds it still and moves it forward by hand, so a lease
// expires exactly when the test says and never because a machine was slow; the harness then
// asks the stores to look at their deadlines (LocalStores::tick). Must never go backwards.
// Any thread: the held time is an atomic.
#pragma once

#include <atomic>
#include <chrono>

namespace cohort::store {

using Clock = std::chrono::steady_clock;

class StoreClock {
 public:
  Clock::time_point now() const {
    Clock::rep held = held_.load(std::memory_order_acquire);
    return held < 0 ? Clock::now() : Clock::time_point(Clock::duration(held));
  }
  bool held() const { return held_.load(std::memory_order_acquire) >= 0; }
  // Stops the clock at the present; from now on only advance() moves it.
  void hold() { held_.store(Clock::now().time_since_epoch().count(), std::memory_order_release); }
  // Moves a held clock forward by d (a running one is left alone).
  void advance(Clock::duration d) {
    if (held() && d.count() > 0) held_.fetch_add(d.count(), std::memory_order_acq_rel);
  }

 private:
  std::atomic<Clock::rep> held_{-1};  // -1: running
};

}  // namespace cohort::store
