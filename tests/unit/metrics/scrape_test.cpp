// scrape_test.cpp — src/metrics/scrape.hpp: the text carries # HELP and # TYPE for every family,
// a histogram's buckets are cumulative and end in +Inf, label values are escaped, and the naming
// rules are enforced (a counter without _total, a bad name, one name with two types).
#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <array>

namespace cohort::metrics {
namespace {

TEST(Scrape, WritesHelpTypeAndSeries) {
  Scrape s;
  s.counter("cohort_things_total", "Things done.", 3, {{"kind", "a\"b"}});
  s.counter("cohort_things_total", "Things done.", 4, {{"kind", "c"}});
  s.gauge("cohort_open", "Open now.", 2);
  const std::string text = s.text();
  EXPECT_NE(text.find("# HELP cohort_things_total Things done.\n# TYPE cohort_things_total counter\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("cohort_things_total{kind=\"a\\\"b\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cohort_things_total{kind=\"c\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE cohort_open gauge\ncohort_open 2\n"), std::string::npos) << text;
  EXPECT_EQ(s.value("cohort_things_total", {{"kind", "c"}}), 4);
  EXPECT_EQ(s.value("cohort_open"), 2);
  EXPECT_EQ(s.value("cohort_absent"), std::nullopt);
}

TEST(Scrape, WritesAHistogramsCumulativeBuckets) {
  constexpr std::array<std::uint64_t, 2> bounds = {1, 10};
  Histogram h(bounds, 1);
  h.observe(1);
  h.observe(5);
  h.observe(50);
  Scrape s;
  s.histogram("cohort_sizes_bytes", "Sizes.", h);
  const std::string text = s.text();
  EXPECT_NE(text.find("# TYPE cohort_sizes_bytes histogram\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cohort_sizes_bytes_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cohort_sizes_bytes_sum 56\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cohort_sizes_bytes_bucket{le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cohort_sizes_bytes_bucket{le=\"10\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cohort_sizes_bytes_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_EQ(s.histogram_count("cohort_sizes_bytes"), 3u);
  EXPECT_EQ(s.histogram_sum("cohort_sizes_bytes"), 56);
}

TEST(Scrape, RefusesNamesThatBreakTheRules) {
  Scrape s;
  EXPECT_THROW(s.counter("cohort_things", "No _total.", 1), std::logic_error);
  EXPECT_THROW(s.gauge("cohort-dash", "Bad name.", 1), std::logic_error);
  EXPECT_THROW(s.gauge("cohort_x", "", 1), std::logic_error);
  EXPECT_THROW(s.gauge("cohort_x", "Bad label.", 1, {{"le", "1"}}), std::logic_error);
  s.gauge("cohort_x_total", "A gauge.", 1);
  EXPECT_THROW(s.counter("cohort_x_total", "A gauge.", 1), std::logic_error);
  EXPECT_THROW(s.gauge("cohort_x_total", "Another help.", 1), std::logic_error);
}

TEST(Registry, RunsEveryCollectorInOrder) {
  Registry r;
  r.add([](Scrape& s) { s.gauge("cohort_a", "A.", 1); });
  r.add([](Scrape& s) { s.gauge("cohort_b", "B.", 2); });
  Scrape s = r.collect();
  ASSERT_EQ(s.families().size(), 2u);
  EXPECT_EQ(s.families()[0].name, "cohort_a");
  EXPECT_EQ(s.value("cohort_b"), 2);
}

}  // namespace
}  // namespace cohort::metrics
