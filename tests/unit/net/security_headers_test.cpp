// security_headers_test.cpp — the default response headers (src/net/security_headers.cpp).
#include "net/security_headers.hpp"

#include <gtest/gtest.h>

using cohort::Config;
using cohort::HttpResponse;
using cohort::net::add_security_headers;
using cohort::net::OriginPolicy;

namespace {

std::string value(const HttpResponse& r, std::string_view name) {
  std::string found;
  int count = 0;
  for (const auto& [n, v] : r.headers)
    if (n == name) {
      found = v;
      ++count;
    }
  EXPECT_LE(count, 1) << name << " set twice";
  return found;
}

}  // namespace

TEST(SecurityHeaders, AddsThePolicyWithTheNodesWebSocketOrigin) {
  OriginPolicy policy;
  Config c;
  c.public_url = "https://cohort.example.com";
  ASSERT_FALSE(OriginPolicy::build(c, false, policy));
  HttpResponse r;
  add_security_headers(r, policy, "127.0.0.1:4000");
  auto csp = value(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
  EXPECT_NE(csp.find("connect-src 'self' ws://127.0.0.1:4000 wss://cohort.example.com;"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(value(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(value(r, "X-Frame-Options"), "DENY");
  EXPECT_EQ(value(r, "Referrer-Policy"), "strict-origin-when-cross-origin");
}

TEST(SecurityHeaders, WithoutAHostConnectSrcIsSelfOnly) {
  HttpResponse r;
  add_security_headers(r, OriginPolicy{}, "");
  EXPECT_NE(value(r, "Content-Security-Policy").find("connect-src 'self';"), std::string::npos);
}

TEST(SecurityHeaders, AHandlersOwnHeaderWinsWhateverItsCase) {
  HttpResponse r;
  r.headers.emplace_back("content-security-policy", "default-src 'none'");
  r.headers.emplace_back("X-FRAME-OPTIONS", "SAMEORIGIN");
  add_security_headers(r, OriginPolicy{}, "127.0.0.1:4000");
  EXPECT_EQ(value(r, "content-security-policy"), "default-src 'none'");
  EXPECT_EQ(value(r, "Content-Security-Policy"), "");
  EXPECT_EQ(value(r, "X-FRAME-OPTIONS"), "SAMEORIGIN");
  EXPECT_EQ(value(r, "X-Frame-Options"), "");
  EXPECT_EQ(value(r, "X-Content-Type-Options"), "nosniff");
}

TEST(SecurityHeaders, ScriptSourcesJoinScriptSrc) {
  OriginPolicy policy;
  HttpResponse r;
  add_security_headers(r, policy, "127.0.0.1:4000", "'sha256-abc=' 'sha256-def='");
  auto csp = value(r, "Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self' 'sha256-abc=' 'sha256-def=';"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("default-src 'self' 'sha256"), std::string::npos) << "only script-src";
}
