// live_page_test.cpp — a live page's tokens as the official client reads them (the page shape of
// docs/protocol.md, LiveView), the cookie kept, the socket URL and the join payload.
#include "live_page.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cohort::bench {
namespace {

constexpr std::string_view kPage = R"(<!doctype html><html><head>
<meta charset="utf-8">
<meta name="csrf-token" content="LTmN_2hMh8p9JD_MkxI11U-5EbQZWbu6aVCbrUkHims">
<title data-suffix=" · Cohort">Counter 0 · Cohort</title>
</head><body>
<div id="phx-78Ud2Egr2UFNi3PP" data-phx-main data-phx-session="eyJpZCI6.QjK4VMjG" data-phx-static="">
<main class="page">…</main></div></body></html>)";

TEST(ExtractLivePage, ReadsRootAndCsrfToken) {
  LivePage p;
  ASSERT_FALSE(extract_live_page(kPage, p));
  EXPECT_EQ(p.id, "phx-78Ud2Egr2UFNi3PP");
  EXPECT_EQ(p.session, "eyJpZCI6.QjK4VMjG");
  EXPECT_EQ(p.static_token, "");
  EXPECT_EQ(p.csrf, "LTmN_2hMh8p9JD_MkxI11U-5EbQZWbu6aVCbrUkHims");
}

TEST(ExtractLivePage, AttributesInAnyOrderAndUnescaped) {
  LivePage p;
  ASSERT_FALSE(extract_live_page(R"(<meta content="a&amp;b" name="csrf-token">)"
                                 R"(<div data-phx-session="s1" data-phx-static="st&quot;1" id="phx-x" data-phx-main>)",
                                 p));
  EXPECT_EQ(p.id, "phx-x");
  EXPECT_EQ(p.session, "s1");
  EXPECT_EQ(p.static_token, "st\"1");
  EXPECT_EQ(p.csrf, "a&b");
}

TEST(ExtractLivePage, SaysWhatIsMissing) {
  LivePage p;
  EXPECT_NE(extract_live_page("<html>no live view</html>", p)->find("data-phx-main"), std::string::npos);
  EXPECT_NE(extract_live_page(R"(<div id="phx-x" data-phx-main>)", p)->find("data-phx-session"), std::string::npos);
  EXPECT_NE(extract_live_page(R"(<div id="phx-x" data-phx-main data-phx-session="s">)", p)->find("csrf-token"),
            std::string::npos);
  // data-phx-session-like attributes do not count as the session
  EXPECT_TRUE(extract_live_page(R"(<meta name="csrf-token" content="c"><div id="phx-x" data-phx-main x-data-phx-session="s">)", p));
}

TEST(CookiePair, KeepsNameAndValueOnly) {
  EXPECT_EQ(cookie_pair("cohort_user=abc.def; Path=/; HttpOnly; SameSite=Lax"), "cohort_user=abc.def");
  EXPECT_EQ(cookie_pair("cohort_user=abc"), "cohort_user=abc");
  EXPECT_EQ(cookie_pair(""), "");
  EXPECT_EQ(cookie_pair("garbage; Path=/"), "");
}

TEST(ParsePageUrl, LoopbackHttpOnly) {
  PageUrl u;
  ASSERT_FALSE(parse_page_url("http://127.0.0.1:4123/counter?step=5", u));
  EXPECT_EQ(u.address, "127.0.0.1");
  EXPECT_EQ(u.port, 4123);
  EXPECT_EQ(u.host_header, "127.0.0.1:4123");
  EXPECT_EQ(u.path, "/counter?step=5");
  ASSERT_FALSE(parse_page_url("http://localhost", u));
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path, "/");
  EXPECT_TRUE(parse_page_url("https://127.0.0.1/counter", u));
  EXPECT_TRUE(parse_page_url("ws://127.0.0.1/counter", u));
  EXPECT_TRUE(parse_page_url("http://10.0.0.1/counter", u));
  EXPECT_TRUE(parse_page_url("http://example.com/counter", u));
}

TEST(LiveSocket, TargetAndJoinAsTheOfficialClient) {
  EXPECT_EQ(live_socket_target("a+b/c=="),
            "/live/websocket?_csrf_token=a%2Bb%2Fc%3D%3D&_mounts=0&_mount_attempts=0&_live_referer=undefined&vsn=2.0.0");
  LivePage p{"phx-x", "sess", "", "tok"};
  auto join = boost::json::parse(live_join_payload("http://127.0.0.1:4000/counter", p)).as_object();
  EXPECT_EQ(join.at("url"), "http://127.0.0.1:4000/counter");
  EXPECT_EQ(join.at("session"), "sess");
  EXPECT_TRUE(join.at("static").is_null());
  EXPECT_EQ(join.at("sticky"), false);
  const auto& params = join.at("params").as_object();
  EXPECT_EQ(params.at("_csrf_token"), "tok");
  EXPECT_EQ(params.at("_mounts"), 0);
  EXPECT_EQ(params.at("_mount_attempts"), 0);
  p.static_token = "st";
  EXPECT_EQ(boost::json::parse(live_join_payload("u", p)).at("static"), "st");
}

}  // namespace
}  // namespace cohort::bench
