// async_pool_test.cpp — the live layer's worker pool (src/live/async_pool.hpp): jobs run on its
// own threads, never the caller's; the queue bound refuses (and counts) what does not fit;
// manual mode runs nothing until run_queued(); a withdrawn job leaves the queue, its place free
// again, and never runs; shutdown drops queued jobs unrun and waits for the running one.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <thread>

#include "live/async_pool.hpp"

namespace {

using cohort::live::AsyncPool;
using namespace std::chrono_literals;

TEST(AsyncPool, RunsJobsOnItsOwnThreads) {
  AsyncPool pool(2, 10);
  std::promise<std::thread::id> ran;
  auto where = ran.get_future();
  ASSERT_TRUE(pool.submit([&] { ran.set_value(std::this_thread::get_id()); }));
  ASSERT_EQ(where.wait_for(10s), std::future_status::ready);
  EXPECT_NE(where.get(), std::this_thread::get_id());
  EXPECT_EQ(pool.stats().started, 1u);
}

TEST(AsyncPool, ManualModeRunsNothingUntilAsked) {
  AsyncPool pool(0, 10);
  int ran = 0;
  pool.submit([&] { ++ran; });
  pool.submit([&] { ran += 10; });
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(pool.stats().queued, 2u);
  EXPECT_EQ(pool.run_queued(), 2u);
  EXPECT_EQ(ran, 11);
  EXPECT_EQ(pool.stats().queued, 0u);
}

TEST(AsyncPool, AFullQueueRefusesAndCounts) {
  AsyncPool pool(0, 2);
  EXPECT_TRUE(pool.submit([] {}));
  EXPECT_TRUE(pool.submit([] {}));
  EXPECT_FALSE(pool.submit([] {}));
  EXPECT_EQ(pool.stats().refused, 1u);
  pool.run_queued();
  EXPECT_TRUE(pool.submit([] {}));  // room again once they ran
}

TEST(AsyncPool, AWithdrawnJobLeavesTheQueueAndNeverRuns) {
  AsyncPool pool(0, 2);
  bool ran = false;
  auto first = pool.submit([&] { ran = true; });
  ASSERT_NE(first, 0u);
  EXPECT_NE(pool.submit([] {}), 0u);
  EXPECT_EQ(pool.submit([] {}), 0u);  // full
  EXPECT_TRUE(pool.withdraw(first));
  EXPECT_FALSE(pool.withdraw(first));  // already out
  EXPECT_EQ(pool.stats().queued, 1u);
  EXPECT_NE(pool.submit([] {}), 0u);  // its place is free again
  EXPECT_EQ(pool.run_queued(), 2u);
  EXPECT_FALSE(ran);
}

TEST(AsyncPool, ShutdownDropsQueuedJobsAndWaitsForTheRunningOne) {
  std::latch started(1), release(1);
  std::atomic<bool> finished{false}, dropped_ran{false};
  std::jthread releaser;
  {
    AsyncPool pool(1, 10);
    pool.submit([&] {
      started.count_down();
      release.wait();
      finished = true;
    });
    started.wait();  // the one worker is busy: the next job waits in the queue
    pool.submit([&] { dropped_ran = true; });
    EXPECT_EQ(pool.stats().running, 1u);
    EXPECT_EQ(pool.stats().queued, 1u);
    // The busy job is let go once the destructor has emptied the queue (it is the only one
    // that can, the worker being busy), so the queued job can only have been dropped.
    releaser = std::jthread([&] {
      auto deadline = std::chrono::steady_clock::now() + 10s;
      while (pool.stats().queued != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      release.count_down();
    });
  }  // the destructor returns only once the running job has
  EXPECT_TRUE(finished);
  EXPECT_FALSE(dropped_ran);
}

}  // namespace
