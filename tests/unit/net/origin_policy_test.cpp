// origin_policy_test.cpp — Host and Origin checks (src/net/origin_policy.cpp).
#include "net/origin_policy.hpp"

#include <gtest/gtest.h>

using cohort::Config;
using cohort::net::OriginPolicy;
using Verdict = cohort::net::OriginPolicy::HostVerdict;

namespace {

OriginPolicy policy(Config c, bool tls = false) {
  OriginPolicy p;
  if (auto err = OriginPolicy::build(c, tls, p)) throw std::runtime_error(*err);
  return p;
}

}  // namespace

TEST(HostPort, ParsesNamesAddressesAndPorts) {
  auto h = cohort::net::parse_host_port("Example.COM:8080");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "example.com");
  EXPECT_EQ(h->port, 8080);
  h = cohort::net::parse_host_port("[::1]:4000");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "[::1]");
  for (std::string_view bad : {"", ":80", "a:", "a:0", "a:65536", "a b", "a@b", "[::1", "[zz]", "a/b", "a:80:80"})
    EXPECT_FALSE(cohort::net::parse_host_port(bad)) << bad;
}

TEST(OriginPolicy, HostsTheNodeAnswersByDefault) {
  auto p = policy(Config{});
  for (std::string_view ok : {"127.0.0.1:4000", "127.0.0.1", "localhost:4000", "LOCALHOST", "[::1]:4000", "10.1.2.3:9"})
    EXPECT_EQ(p.check_host(ok), Verdict::ok) << ok;
  EXPECT_EQ(p.check_host("evil.example:4000"), Verdict::unknown);
  EXPECT_EQ(p.check_host("localhost.evil.example"), Verdict::unknown);
  EXPECT_EQ(p.check_host("127.0.0.1.nip.io"), Verdict::unknown);
  EXPECT_EQ(p.check_host(""), Verdict::missing);
  EXPECT_EQ(p.check_host("a b"), Verdict::malformed);
}

TEST(OriginPolicy, PublicUrlAndAllowedHostsAddNames) {
  Config c;
  c.public_url = "https://Cohort.Example.com/app";
  c.allowed_hosts = "intranet, *.example.org, ops.example.net:8443";
  auto p = policy(c);
  for (std::string_view ok : {"cohort.example.com", "cohort.example.com:443", "intranet:4000", "a.example.org",
                              "a.b.example.org:1", "ops.example.net:8443"})
    EXPECT_EQ(p.check_host(ok), Verdict::ok) << ok;
  for (std::string_view no : {"example.org", "ops.example.net", "ops.example.net:443", "evil.com", "xexample.org"})
    EXPECT_EQ(p.check_host(no), Verdict::unknown) << no;
  c.allowed_hosts = "*";
  EXPECT_EQ(policy(c).check_host("anything.example"), Verdict::ok);
}

TEST(OriginPolicy, OriginsAllowedByDefaultAreTheRequestsOwn) {
  auto p = policy(Config{});
  EXPECT_TRUE(p.origin_allowed("", "127.0.0.1:4000"));  // no Origin: not a browser
  EXPECT_TRUE(p.origin_allowed("http://127.0.0.1:4000", "127.0.0.1:4000"));
  EXPECT_TRUE(p.origin_allowed("http://localhost:4000", "localhost:4000"));
  EXPECT_FALSE(p.origin_allowed("http://evil.example", "127.0.0.1:4000"));
  EXPECT_FALSE(p.origin_allowed("http://127.0.0.1:5000", "127.0.0.1:4000"));  // another port
  EXPECT_FALSE(p.origin_allowed("https://127.0.0.1:4000", "127.0.0.1:4000"));  // another scheme
  EXPECT_FALSE(p.origin_allowed("null", "127.0.0.1:4000"));
  EXPECT_FALSE(p.origin_allowed("http://localhost:4000", "127.0.0.1:4000"));
  auto tls = policy(Config{}, true);
  EXPECT_TRUE(tls.origin_allowed("https://127.0.0.1:4000", "127.0.0.1:4000"));
  EXPECT_TRUE(tls.origin_allowed("https://localhost", "localhost:443"));
  EXPECT_FALSE(tls.origin_allowed("http://127.0.0.1:4000", "127.0.0.1:4000"));
}

TEST(OriginPolicy, PublicUrlAndAllowedOriginsWithWildcards) {
  Config c;
  c.public_url = "https://cohort.example.com";
  c.allowed_origins = "https://*.example.org, http://dev.example.net:3000";
  auto p = policy(c);
  EXPECT_TRUE(p.origin_allowed("https://cohort.example.com", "127.0.0.1:4000"));  // behind a proxy
  EXPECT_TRUE(p.origin_allowed("https://cohort.example.com:443", "127.0.0.1:4000"));
  EXPECT_TRUE(p.origin_allowed("https://a.example.org", "127.0.0.1:4000"));
  EXPECT_TRUE(p.origin_allowed("https://a.b.example.org", "127.0.0.1:4000"));
  EXPECT_TRUE(p.origin_allowed("http://dev.example.net:3000", "127.0.0.1:4000"));
  EXPECT_FALSE(p.origin_allowed("https://example.org", "127.0.0.1:4000"));
  EXPECT_FALSE(p.origin_allowed("http://a.example.org", "127.0.0.1:4000"));
  EXPECT_FALSE(p.origin_allowed("https://a.example.org:8443", "127.0.0.1:4000"));
  EXPECT_FALSE(p.origin_allowed("https://evilexample.org", "127.0.0.1:4000"));
  EXPECT_FALSE(p.origin_allowed("http://cohort.example.com", "127.0.0.1:4000"));
  c.check_origin = false;
  EXPECT_TRUE(policy(c).origin_allowed("http://evil.example", "127.0.0.1:4000"));
}

TEST(OriginPolicy, MalformedSettingsAreStartUpErrors) {
  OriginPolicy p;
  Config c;
  c.allowed_origins = "example.org";
  EXPECT_TRUE(OriginPolicy::build(c, false, p));
  c = Config{};
  c.allowed_hosts = "bad host";
  EXPECT_TRUE(OriginPolicy::build(c, false, p));
  c = Config{};
  c.allowed_origins = "ftp://example.org";
  EXPECT_TRUE(OriginPolicy::build(c, false, p));
}

TEST(OriginPolicy, WebSocketSourcesAndTheTlsRedirect) {
  Config c;
  EXPECT_EQ(policy(c).websocket_sources("127.0.0.1:4000"), "ws://127.0.0.1:4000");
  EXPECT_EQ(policy(c, true).websocket_sources("127.0.0.1:4000"), "wss://127.0.0.1:4000");
  EXPECT_EQ(policy(c, true).tls_origin("example.com:80", 4443), "https://example.com:4443");
  EXPECT_EQ(policy(c, true).tls_origin("example.com", 443), "https://example.com");
  c.public_url = "https://cohort.example.com";
  EXPECT_EQ(policy(c).websocket_sources("127.0.0.1:4000"), "ws://127.0.0.1:4000 wss://cohort.example.com");
  EXPECT_EQ(policy(c, true).tls_origin("127.0.0.1:80", 4443), "https://cohort.example.com");
}

TEST(OriginPolicy, SameOriginIsTheNodeItselfOnly) {
  Config c;
  c.public_url = "https://cohort.example.com";
  c.allowed_origins = "https://*.example.org";
  auto p = policy(c);
  EXPECT_TRUE(p.same_origin("http://127.0.0.1:4000", "127.0.0.1:4000"));
  EXPECT_TRUE(p.same_origin("https://cohort.example.com", "127.0.0.1:4000"));  // behind a proxy
  EXPECT_FALSE(p.same_origin("https://a.example.org", "127.0.0.1:4000")) << "may open WebSockets, is not the node";
  EXPECT_TRUE(p.origin_allowed("https://a.example.org", "127.0.0.1:4000"));
  EXPECT_FALSE(p.same_origin("http://127.0.0.1:5000", "127.0.0.1:4000"));
  EXPECT_FALSE(p.same_origin("null", "127.0.0.1:4000"));
  EXPECT_FALSE(p.same_origin("", "127.0.0.1:4000")) << "an absent Origin is the caller's decision";
  c.check_origin = false;
  EXPECT_FALSE(policy(c).same_origin("http://evil.example", "127.0.0.1:4000")) << "check_origin does not widen it";
}
