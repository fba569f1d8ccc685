// signin_test.cpp — src/live/signin.cpp: redirect targets are same-origin paths only, and
// links escape what would end their parameter; the visitor cookie it sets (src/live/page.cpp)
// has its attributes, Secure with TLS.
#include "live/signin.hpp"

#include <gtest/gtest.h>

#include "live/page.hpp"

namespace cohort::live {
namespace {

TEST(SigninTest, LocalPathsPass) {
  for (const char* ok : {"/", "/quiz", "/poll/abc?x=1&y=2", "/a/b#c", "/%2F%2Fevil"})
    EXPECT_EQ(safe_local_path(ok), std::string(ok)) << ok;
}

TEST(SigninTest, AnythingThatCouldLeaveTheOriginOrAddAHeaderIsRefused) {
  for (std::string bad : {std::string("//evil.example"), std::string("/\\evil.example"), std::string("\\\\evil"),
                          std::string("https://evil.example"), std::string("evil.example"), std::string(""),
                          std::string("/\r\nX-Injected: 1"), std::string("/\nX: 1"), std::string("/\t/evil.example"),
                          std::string("/a\\b"), std::string("/\x7f"), std::string("javascript:alert(1)"),
                          std::string("/" + std::string(2048, 'a')), std::string("/a\0b", 4)})
    EXPECT_EQ(safe_local_path(bad), std::nullopt) << bad;
}

TEST(SigninTest, LinksCarryAnEscapedSafeThen) {
  EXPECT_EQ(signin_link("g.t", "/quiz"), "/signin?grant=g.t&then=/quiz");
  EXPECT_EQ(signin_link("g.t", "/"), "/signin?grant=g.t");
  EXPECT_EQ(signin_link("g.t", "//evil"), "/signin?grant=g.t");
  EXPECT_EQ(signin_link("g.t", "/poll/a b?x=1&y=2"), "/signin?grant=g.t&then=/poll/a%20b%3Fx=1%26y=2");
}

TEST(SigninTest, VisitorCookieAttributes) {
  TokenSigner signer(std::string(40, 's'));
  JsonObject user{{"id", "u-1"}, {"name", "Calm Heron"}, {"color", "#0b7e8c"}, {"roles", json::array{"moderator"}}};
  std::string plain = user_cookie(user, 1'900'000'000, signer, false);
  for (const char* attr : {"; Path=/", "; Max-Age=31536000", "; HttpOnly", "; SameSite=Lax"})
    EXPECT_NE(plain.find(attr), std::string::npos) << attr << " in " << plain;
  EXPECT_EQ(plain.find("Secure"), std::string::npos);
  std::string tls = user_cookie(user, 0, signer, true);
  EXPECT_TRUE(tls.ends_with("; Secure")) << tls;
  auto token = plain.substr(plain.find('=') + 1, plain.find(';') - plain.find('=') - 1);
  auto v = signer.verify(token, TokenKind::visitor);
  ASSERT_TRUE(v.claims) << v.error;
  EXPECT_EQ((*v.claims)["roles_exp"].to_number<std::int64_t>(), 1'900'000'000);
}

TEST(SigninTest, CsrfTokensBelongToOneVisitor) {
  TokenSigner signer(std::string(40, 's'));
  std::string t = csrf_token(signer, "u-alice");
  EXPECT_TRUE(csrf_matches(signer, "u-alice", t));
  EXPECT_FALSE(csrf_matches(signer, "u-bob", t));
  EXPECT_FALSE(csrf_matches(signer, "", csrf_token(signer, "")));
}

}  // namespace
}  // namespace cohort::live
