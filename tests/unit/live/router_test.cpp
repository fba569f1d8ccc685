// router_test.cpp — live view paths (src/live/router.cpp).
#include "live/router.hpp"

#include <gtest/gtest.h>

using cohort::JsonObject;
using cohort::live::Router;

TEST(Router, MatchesLiteralAndParamSegments) {
  Router r;
  ASSERT_FALSE(r.add("/counter", 0));
  ASSERT_FALSE(r.add("/poll/:id", 1));
  ASSERT_FALSE(r.add("/", 2));
  auto m = r.match("/counter");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route_index, 0u);
  m = r.match("/poll/abc%20d");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route_index, 1u);
  EXPECT_EQ(m->params, (JsonObject{{"id", "abc d"}}));
  m = r.match("/");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route_index, 2u);
  EXPECT_FALSE(r.match("/poll"));
  EXPECT_FALSE(r.match("/poll/a/b"));
  EXPECT_FALSE(r.match("/counterx"));
}

TEST(Router, QueryParamsJoinPathParamsWhichWin) {
  Router r;
  ASSERT_FALSE(r.add("/poll/:id", 0));
  auto m = r.match("/poll/7", "page=2&id=9&q=a+b&flag");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params, (JsonObject{{"id", "7"}, {"page", "2"}, {"q", "a b"}, {"flag", ""}}));
}

TEST(Router, TrailingAndDoubleSlashesAreOneSeparator) {
  Router r;
  ASSERT_FALSE(r.add("/list", 0));
  EXPECT_TRUE(r.match("/list/"));
  EXPECT_TRUE(r.match("//list"));
}

TEST(Router, RefusesMalformedPatterns) {
  Router r;
  EXPECT_TRUE(r.add("counter", 0));
  EXPECT_TRUE(r.add("/poll/:", 0));
}

TEST(Router, SplitUrlTakesPathAndQueryFromFullOrRelativeUrls) {
  std::string_view path, query;
  cohort::live::split_url("http://127.0.0.1:4000/poll/3?x=1#top", path, query);
  EXPECT_EQ(path, "/poll/3");
  EXPECT_EQ(query, "x=1");
  cohort::live::split_url("http://host", path, query);
  EXPECT_EQ(path, "/");
  EXPECT_EQ(query, "");
  cohort::live::split_url("/list", path, query);
  EXPECT_EQ(path, "/list");
}
