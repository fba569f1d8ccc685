// levels_test.cpp — src/log/levels.cpp: categories and levels by name, and --log-levels parsed
// strictly (an unknown category or level is an error naming it; nothing half-applied).
#include <gtest/gtest.h>

#include "log/log.hpp"

namespace cohort::log {
namespace {

Level at(const Thresholds& t, Category c) { return t[static_cast<std::size_t>(c)]; }

TEST(LogLevels, NamesRoundTrip) {
  for (auto l : {Level::trace, Level::debug, Level::info, Level::warn, Level::error, Level::off})
    EXPECT_EQ(parse_level(name_of(l)), l);
  for (std::size_t i = 0; i < kCategories; ++i) EXPECT_EQ(parse_category(name_of(static_cast<Category>(i))), static_cast<Category>(i));
  EXPECT_FALSE(parse_level("INFO"));
  EXPECT_FALSE(parse_level("warning"));
  EXPECT_FALSE(parse_category("Net"));
}

TEST(LogLevels, BaseLevelThenOverrides) {
  Thresholds t{};
  ASSERT_FALSE(thresholds_of("warn", "net=debug, cluster=error", t));
  EXPECT_EQ(at(t, Category::net), Level::debug);
  EXPECT_EQ(at(t, Category::cluster), Level::error);
  EXPECT_EQ(at(t, Category::storage), Level::warn);
  EXPECT_EQ(at(t, Category::access), Level::off) << "the access log has its own switch";
}

TEST(LogLevels, EmptyOverridesChangeNothing) {
  Thresholds t{};
  ASSERT_FALSE(thresholds_of("info", "", t));
  EXPECT_EQ(at(t, Category::live), Level::info);
  ASSERT_FALSE(parse_levels(" ", t));
}

TEST(LogLevels, UnknownCategoryIsRefusedByName) {
  Thresholds t{};
  t.fill(Level::info);
  auto err = parse_levels("net=debug,netwrk=warn", t);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("unknown log category 'netwrk'"), std::string::npos) << *err;
  EXPECT_NE(err->find("channels"), std::string::npos) << "it lists the categories: " << *err;
  EXPECT_EQ(at(t, Category::net), Level::info) << "nothing is half-applied";
}

TEST(LogLevels, UnknownLevelIsRefusedByName) {
  Thresholds t{};
  auto err = parse_levels("cluster=loud", t);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("unknown log level 'loud' for cluster"), std::string::npos) << *err;
  ASSERT_TRUE(thresholds_of("verbose", "", t));
}

TEST(LogLevels, MalformedItemsAndAccessAreRefused) {
  Thresholds t{};
  EXPECT_TRUE(parse_levels("net", t));
  EXPECT_TRUE(parse_levels("=debug", t));
  EXPECT_TRUE(parse_levels("net=", t));
  auto err = parse_levels("access=info", t);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("--access-log"), std::string::npos) << *err;
}

TEST(LogLevels, Formats) {
  EXPECT_EQ(parse_format("json"), Options::Format::json);
  EXPECT_EQ(parse_format("text"), Options::Format::text);
  EXPECT_FALSE(parse_format("JSON"));
  EXPECT_FALSE(parse_format("logfmt"));
}

}  // namespace
}  // namespace cohort::log
