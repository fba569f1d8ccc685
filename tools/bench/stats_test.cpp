// stats_test.cpp — LatencyHistogram: exact below 128 ns, within 1% above, merge and reset.
#include "stats.hpp"

#include <gtest/gtest.h>

namespace cohort::bench {
namespace {

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.99), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 50u);
  EXPECT_EQ(h.percentile(0.99), 99u);
  EXPECT_EQ(h.percentile(1.0), 100u);
  EXPECT_EQ(h.max(), 100u);
}

TEST(LatencyHistogram, LargeValuesWithinOnePercent) {
  LatencyHistogram h;
  for (std::uint64_t i = 1; i <= 100000; ++i) h.record(i * 1000);  // 1 µs .. 100 ms
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double want = q * 100000 * 1000;
    double got = static_cast<double>(h.percentile(q));
    EXPECT_NEAR(got, want, want * 0.01) << "q=" << q;
    EXPECT_GE(got, want) << "percentiles report the bucket's upper edge";
  }
  EXPECT_EQ(h.percentile(1.0), 100000u * 1000);
}

TEST(LatencyHistogram, HugeValuesDoNotOverflow) {
  LatencyHistogram h;
  h.record(~std::uint64_t{0});
  h.record(std::uint64_t{1} << 63);
  EXPECT_EQ(h.max(), ~std::uint64_t{0});
  EXPECT_GE(h.percentile(0.5), std::uint64_t{1} << 63);
}

TEST(LatencyHistogram, MergeAndReset) {
  LatencyHistogram a, b;
  a.record(10);
  b.record(1000000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), 1000000u);
  EXPECT_EQ(a.percentile(0.5), 10u);
  a.reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.max(), 0u);
}

}  // namespace
}  // namespace cohort::bench
