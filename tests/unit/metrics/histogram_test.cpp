// histogram_test.cpp — src/metrics/histogram.hpp: bucket placement (a value on a bound is in
// that bound's bucket), the sum in the exported unit, shards merged at snapshot (threads
// observing at once lose nothing), and BoundedGauges' cap.
#include "metrics/bounded_gauges.hpp"
#include "metrics/histogram.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

namespace cohort::metrics {
namespace {

constexpr std::array<std::uint64_t, 3> kBounds = {10, 100, 1000};

TEST(Histogram, PlacesEachValueInTheFirstBucketWhoseBoundIsAtLeastIt) {
  Histogram h(kBounds, 1);
  for (std::uint64_t v : {0, 10, 11, 100, 999, 1000, 1001, 50000}) h.observe(v);
  auto s = h.snapshot();
  ASSERT_EQ(s.bounds, (std::vector<double>{10, 100, 1000}));
  // <=10: 0, 10; <=100: + 11, 100; <=1000: + 999, 1000; +Inf: + 1001, 50000.
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{2, 4, 6}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 0 + 10 + 11 + 100 + 999 + 1000 + 1001 + 50000);
}

TEST(Histogram, ExportsBoundsAndSumInItsUnit) {
  Histogram h(kLatencyBounds, kNanoseconds);
  h.observe_duration(std::chrono::microseconds(300));  // in the 500 µs bucket
  h.observe_duration(std::chrono::milliseconds(2));    // in the 2.5 ms bucket
  auto s = h.snapshot();
  EXPECT_DOUBLE_EQ(s.bounds.front(), 50e-6);
  EXPECT_DOUBLE_EQ(s.bounds.back(), 10.0);
  EXPECT_NEAR(s.sum, 0.0023, 1e-12);
  EXPECT_EQ(s.cumulative[2], 0u);  // <= 250 µs
  EXPECT_EQ(s.cumulative[3], 1u);  // <= 500 µs
  EXPECT_EQ(s.cumulative[5], 2u);  // <= 2.5 ms
  EXPECT_EQ(s.count, 2u);
}

TEST(Histogram, MergesEveryShard) {
  Histogram h(kBounds, 1);
  for (unsigned shard = 0; shard < Histogram::kShards; ++shard) h.observe_in(shard, shard % 2 ? 5 : 500);
  auto s = h.snapshot();
  EXPECT_EQ(s.cumulative[0], Histogram::kShards / 2);
  EXPECT_EQ(s.cumulative[1], Histogram::kShards / 2);
  EXPECT_EQ(s.cumulative[2], Histogram::kShards);
  EXPECT_DOUBLE_EQ(s.sum, (5.0 + 500.0) * Histogram::kShards / 2);
}

TEST(Histogram, ThreadsObservingAtOnceLoseNothing) {
  Histogram h(kBounds, 1);
  constexpr unsigned kThreads = Histogram::kShards + 4;  // more threads than shards: some share one
  constexpr unsigned kEach = 20000;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t)
    threads.emplace_back([&h, t] {
      for (unsigned i = 0; i < kEach; ++i) h.observe(t);
    });
  for (auto& t : threads) t.join();
  auto s = h.snapshot();
  EXPECT_EQ(s.count, std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(s.cumulative[0], std::uint64_t{11} * kEach);  // threads 0..10 observe <= 10
  EXPECT_DOUBLE_EQ(s.sum, static_cast<double>(kEach) * (kThreads * (kThreads - 1) / 2));
}

TEST(Histogram, RefusesBoundsThatDoNotIncrease) {
  constexpr std::array<std::uint64_t, 2> bad = {5, 5};
  EXPECT_THROW(Histogram(bad, 1), std::invalid_argument);
}

TEST(BoundedGauges, KeepsAtMostItsCapOfValuesThenOther) {
  BoundedGauges g;
  for (unsigned i = 0; i < BoundedGauges::kMaxValues + 10; ++i) g.add(g.slot("class" + std::to_string(i)), 1);
  g.add(g.slot("class0"), 1);
  g.add(g.slot("other"), 1);  // a value spelled "other" is the other series, never a second one
  unsigned series = 0;
  std::int64_t other = -1, first = -1;
  g.each([&](std::string_view value, std::int64_t n) {
    ++series;
    if (value == "other") other = n;
    if (value == "class0") first = n;
  });
  EXPECT_EQ(series, BoundedGauges::kMaxValues + 1);
  EXPECT_EQ(other, 11);
  EXPECT_EQ(first, 2);
  EXPECT_EQ(topic_class("room:lobby:x"), "room");
  EXPECT_EQ(topic_class("phoenix"), "phoenix");
}

}  // namespace
}  // namespace cohort::metrics
