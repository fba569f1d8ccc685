// rate_window_test.cpp — log::RateWindow (src/log/log.hpp): at most `limit` admitted per window,
// the rest counted, and each window's end says how many were left out, once.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "log/log.hpp"

namespace cohort::log {
namespace {

TEST(RateWindow, AdmitsUpToTheLimitThenCounts) {
  RateWindow w;
  int admitted = 0;
  for (int i = 0; i < 25; ++i) admitted += w.admit(10) ? 1 : 0;
  EXPECT_EQ(admitted, 10);
  EXPECT_EQ(w.roll(), 15u);
  EXPECT_EQ(w.roll(), 0u) << "a summary is given once";
}

TEST(RateWindow, EachWindowStartsAfresh) {
  RateWindow w;
  for (int i = 0; i < 12; ++i) w.admit(3);
  EXPECT_EQ(w.roll(), 9u);
  EXPECT_TRUE(w.admit(3));
  EXPECT_TRUE(w.admit(3));
  EXPECT_TRUE(w.admit(3));
  EXPECT_FALSE(w.admit(3));
  EXPECT_EQ(w.roll(), 1u);
}

TEST(RateWindow, QuietWindowsSuppressNothing) {
  RateWindow w;
  EXPECT_TRUE(w.admit(10));
  EXPECT_EQ(w.roll(), 0u);
}

TEST(RateWindow, ManyThreadsNeverAdmitMoreThanTheLimit) {
  RateWindow w;
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i)
        if (w.admit(10)) admitted.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 10);
  EXPECT_EQ(w.roll(), 40'000u - 10u);
}

}  // namespace
}  // namespace cohort::log
