// route_pattern_test.cpp — path decoding and route patterns (src/net/route_pattern.cpp).
#include "net/route_pattern.hpp"

#include <gtest/gtest.h>

#include <vector>

using cohort::net::decode_path;
using cohort::net::PathParams;
using cohort::net::RoutePattern;

namespace {

RoutePattern pattern(std::string_view text) {
  std::string error;
  auto p = RoutePattern::parse(text, error);
  if (!p) throw std::runtime_error(error);
  return *p;
}

std::optional<PathParams> match(std::string_view pat, std::string_view path) {
  auto decoded = decode_path(path);
  if (decoded.error) return std::nullopt;
  PathParams params;
  if (!pattern(pat).match(decoded.segments, params)) return std::nullopt;
  return params;
}

}  // namespace

TEST(DecodePath, SplitsDropsEmptySegmentsAndDecodesEachOnce) {
  auto d = decode_path("//a/b%20c//%2541/");
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.segments, (std::vector<std::string>{"a", "b c", "%41"}));  // "%2541" → "%41", not "A"
  EXPECT_TRUE(decode_path("/").segments.empty());
}

TEST(DecodePath, AnEncodedSlashStaysInsideItsSegment) {
  auto d = decode_path("/assets/..%2F..%2Fsecret");
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.segments, (std::vector<std::string>{"assets", "../../secret"}));
}

TEST(DecodePath, MalformedEscapesAreErrors) {
  for (std::string_view bad : {"/%", "/%4", "/%zz", "/a/%g1/b", "/%%41"}) EXPECT_TRUE(decode_path(bad).error) << bad;
  EXPECT_TRUE(decode_path("").error);
  EXPECT_TRUE(decode_path("relative").error);
  EXPECT_TRUE(decode_path("http://host/x").error);
}

// A view into a longer buffer is read to its length only (Boost.URL 1.81 may read to a NUL).
TEST(DecodePath, ReadsOnlyTheView) {
  std::vector<char> heap = {'/', 'a', '%', '4', '1', 'x'};
  auto d = decode_path(std::string_view(heap.data(), 4));  // "/a%4": malformed
  EXPECT_TRUE(d.error);
  d = decode_path(std::string_view(heap.data(), 5));  // "/a%41"
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.segments, (std::vector<std::string>{"aA"}));
}

TEST(RoutePattern, LiteralsMatchWholeSegmentsOnly) {
  EXPECT_TRUE(match("/api", "/api"));
  EXPECT_TRUE(match("/api", "/api/"));
  EXPECT_TRUE(match("/api", "//api"));
  EXPECT_FALSE(match("/api", "/apiary"));
  EXPECT_FALSE(match("/api", "/api/x"));
  EXPECT_FALSE(match("/api/x", "/api"));
  EXPECT_TRUE(match("/", "/"));
  EXPECT_FALSE(match("/", "/a"));
  EXPECT_TRUE(match("/healthz", "/health%7A"));  // literals compare decoded
}

TEST(RoutePattern, ParamsAreDecodedSegments) {
  auto p = match("/api/broadcast/:topic", "/api/broadcast/room%3Alobby");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (PathParams{{"topic", "room:lobby"}}));
  p = match("/api/broadcast/:topic", "/api/broadcast/a%2Fb");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (PathParams{{"topic", "a/b"}}));
  EXPECT_FALSE(match("/api/broadcast/:topic", "/api/broadcast/"));
  EXPECT_FALSE(match("/api/broadcast/:topic", "/api/broadcast/a/b"));
  p = match("/polls/:id/votes/:vote", "/polls/7/votes/x");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (PathParams{{"id", "7"}, {"vote", "x"}}));
}

TEST(RoutePattern, RestTakesTheRemainingSegmentsButNoDecodedSlash) {
  auto p = match("/files/*path", "/files/a/b%20c");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (PathParams{{"path", "a/b c"}}));
  p = match("/files/*path", "/files");
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, (PathParams{{"path", ""}}));
  EXPECT_FALSE(match("/files/*path", "/files/a%2Fb"));
}

TEST(RoutePattern, MalformedPatternsAreRefusedWithAReason) {
  std::string error;
  for (std::string_view bad : {"", "api", "/a/:", "/a/*", "/a/*rest/b", "/:id/:id", "/:bad-name"}) {
    error.clear();
    EXPECT_FALSE(RoutePattern::parse(bad, error)) << bad;
    EXPECT_NE(error.find("route pattern"), std::string::npos) << bad;
  }
}
