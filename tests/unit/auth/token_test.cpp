// token_test.cpp — include/cohort/token.hpp (src/auth/token.cpp): every token has a kind and an
// expiry; a token of one kind is never accepted as another; MACs and tags are checked exactly.
#include "cohort/token.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/serialize.hpp>

#include "auth/base64.hpp"

namespace cohort {
namespace {

const std::string kSecret(40, 's');
constexpr std::int64_t kNow = 1'700'000'000;

// A token of exactly these claims, MAC'd by hand with the secret (sign() always sets kind and
// exp, so tokens without them can only be made this way).
std::string hand_signed(const std::string& secret, const JsonObject& claims) {
  std::string body = auth::encode_url(json::serialize(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), mac, &len);
  return body + "." + auth::encode_url(std::string(reinterpret_cast<char*>(mac), len));
}

TEST(TokenTest, SignedTokenVerifiesAsItsOwnKindOnly) {
  TokenSigner signer(kSecret);
  const TokenKind kinds[] = {TokenKind::session, TokenKind::visitor, TokenKind::grant, TokenKind::api, TokenKind::socket};
  for (TokenKind minted : kinds) {
    std::string t = signer.sign_until(minted, JsonObject{{"sub", "alice"}}, kNow + 60);
    for (TokenKind expected : kinds) {
      auto v = signer.verify(t, expected, kNow);
      if (minted == expected) {
        ASSERT_TRUE(v.claims) << kind_name(minted) << ": " << v.error;
        EXPECT_EQ((*v.claims)["sub"], "alice");
        EXPECT_EQ((*v.claims)["kind"].as_string(), kind_name(minted));
      } else {
        EXPECT_FALSE(v.claims) << kind_name(minted) << " accepted as " << kind_name(expected);
        EXPECT_EQ(v.error, "wrong kind");
      }
    }
  }
}

TEST(TokenTest, KindNamesRoundTrip) {
  for (auto k : {TokenKind::session, TokenKind::visitor, TokenKind::grant, TokenKind::api, TokenKind::socket})
    EXPECT_EQ(kind_from_name(kind_name(k)), k);
  EXPECT_FALSE(kind_from_name("live"));
  EXPECT_FALSE(kind_from_name(""));
}

TEST(TokenTest, SignReplacesKindAndExpiryTheClaimsCarried) {
  TokenSigner signer(kSecret);
  std::string t = signer.sign_until(TokenKind::socket, JsonObject{{"kind", "api"}, {"exp", kNow + 999999}}, kNow + 5);
  EXPECT_FALSE(signer.verify(t, TokenKind::api, kNow).claims);
  auto v = signer.verify(t, TokenKind::socket, kNow);
  ASSERT_TRUE(v.claims);
  EXPECT_EQ((*v.claims)["exp"].to_number<std::int64_t>(), kNow + 5);
}

TEST(TokenTest, ExpiryIsRequiredAndEnforced) {
  TokenSigner signer(kSecret);
  std::string t = signer.sign_until(TokenKind::api, {}, kNow + 10);
  EXPECT_TRUE(signer.verify(t, TokenKind::api, kNow + 9).claims);
  auto at = signer.verify(t, TokenKind::api, kNow + 10);
  EXPECT_FALSE(at.claims);
  EXPECT_EQ(at.error, "expired");
  // sign() counts from the current time.
  EXPECT_TRUE(signer.verify(signer.sign(TokenKind::api, {}, std::chrono::seconds(60)), TokenKind::api).claims);
  EXPECT_EQ(signer.verify(signer.sign(TokenKind::api, {}, std::chrono::seconds(-1)), TokenKind::api).error, "expired");
}

TEST(TokenTest, MissingOrMalformedExpiryIsRefused) {
  TokenSigner signer(kSecret);
  EXPECT_EQ(signer.verify(hand_signed(kSecret, {{"kind", "api"}}), TokenKind::api, kNow).error, "no expiry");
  EXPECT_EQ(signer.verify(hand_signed(kSecret, {{"kind", "api"}, {"exp", "never"}}), TokenKind::api, kNow).error,
            "no expiry");
  EXPECT_EQ(signer.verify(hand_signed(kSecret, {{"exp", kNow + 60}}), TokenKind::api, kNow).error, "wrong kind");
  EXPECT_TRUE(signer.verify(hand_signed(kSecret, {{"kind", "api"}, {"exp", kNow + 60}}), TokenKind::api, kNow).claims);
}

TEST(TokenTest, TamperedOrForeignTokensAreRefused) {
  TokenSigner signer(kSecret);
  TokenSigner other(std::string(40, 'o'));
  std::string t = signer.sign_until(TokenKind::api, JsonObject{{"roles", json::array{"publish"}}}, kNow + 60);
  EXPECT_EQ(other.verify(t, TokenKind::api, kNow).error, "bad signature");
  std::string body = t.substr(0, t.find('.'));
  std::string forged = auth::encode_url(R"({"roles":["admin"],"kind":"api","exp":1800000000})") + t.substr(t.find('.'));
  EXPECT_EQ(signer.verify(forged, TokenKind::api, kNow).error, "bad signature");
  std::string flipped = t;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(signer.verify(flipped, TokenKind::api, kNow).claims);
  // The same MAC bytes spelled otherwise (the last character's unused low bits set, padding):
  // refused, so tokens are not malleable.
  std::string mac_text = t.substr(t.find('.') + 1);
  ASSERT_EQ(mac_text.size(), 43u);  // 32 bytes: the last character carries 4 bits and 2 unused ones
  auto decoded = auth::decode(mac_text);
  ASSERT_TRUE(decoded);
  std::string respelled = mac_text;
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  respelled.back() = kAlphabet[kAlphabet.find(mac_text.back()) | 1];
  ASSERT_EQ(auth::decode(respelled), decoded) << "the decoder reads both spellings as the same bytes";
  EXPECT_EQ(signer.verify(body + "." + respelled, TokenKind::api, kNow).error, "bad signature");
  EXPECT_EQ(signer.verify(t + "=", TokenKind::api, kNow).error, "bad signature");
  EXPECT_EQ(signer.verify("no-dot", TokenKind::api, kNow).error, "malformed");
  EXPECT_EQ(signer.verify(body + ".***", TokenKind::api, kNow).error, "malformed");
  EXPECT_EQ(signer.verify("", TokenKind::api, kNow).error, "malformed");
}

TEST(TokenTest, TagsAreBoundToPurposeValueAndSecret) {
  TokenSigner signer(kSecret);
  std::string t = signer.tag("live-csrf", "u-alice");
  EXPECT_TRUE(signer.check_tag("live-csrf", "u-alice", t));
  EXPECT_FALSE(signer.check_tag("live-csrf", "u-bob", t));
  EXPECT_FALSE(signer.check_tag("other", "u-alice", t));
  EXPECT_FALSE(TokenSigner(std::string(40, 'o')).check_tag("live-csrf", "u-alice", t));
  EXPECT_FALSE(signer.check_tag("live-csrf", "u-alice", ""));
  EXPECT_FALSE(signer.check_tag("live-csrf", "u-alice", t.substr(0, t.size() - 1)));
  EXPECT_EQ(t, signer.tag("live-csrf", "u-alice")) << "the same visitor gets the same token";
  // A tag is never a token: it has no body and no dot.
  EXPECT_EQ(t.find('.'), std::string::npos);
}

TEST(TokenTest, EqualSecretsComparesWholeStrings) {
  EXPECT_TRUE(equal_secrets("abc", "abc"));
  EXPECT_FALSE(equal_secrets("abc", "abd"));
  EXPECT_FALSE(equal_secrets("abc", "ab"));
  EXPECT_TRUE(equal_secrets("", ""));
}

TEST(TokenTest, ActorFromClaimsReadsSubAndStringRoles) {
  Actor a = Actor::from_claims(JsonObject{{"sub", "alice"}, {"roles", json::array{"editor", 3, "viewer"}}});
  EXPECT_EQ(a.id, "alice");
  EXPECT_EQ(a.roles, (std::vector<std::string>{"editor", "viewer"}));
  EXPECT_TRUE(a.has_role("editor"));
  EXPECT_FALSE(a.has_role("admin"));
}

}  // namespace
}  // namespace cohort
