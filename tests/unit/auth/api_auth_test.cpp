// api_auth_test.cpp — src/auth/api_auth.cpp: the bearer check of API routes: 401 without a
// valid api token, 403 without the role or the topic, nothing echoed back.
#include "auth/api_auth.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cohort::auth {
namespace {

const TokenSigner kSigner(std::string(40, 's'));

HttpRequest with_auth(std::string header) {
  HttpRequest r;
  r.method = "POST";
  r.authorization = std::move(header);
  return r;
}

std::string api(const JsonObject& claims, std::chrono::seconds ttl = std::chrono::seconds(60)) {
  return kSigner.sign(TokenKind::api, claims, ttl);
}

TEST(ApiAuthTest, MissingOrInvalidTokensAre401WithAChallenge) {
  std::string socket = kSigner.sign(TokenKind::socket, {{"roles", json::array{"publish"}}}, std::chrono::seconds(60));
  std::string expired = api({{"roles", json::array{"publish"}}}, std::chrono::seconds(-5));
  for (std::string header : {std::string(), std::string("Basic dXNlcjpwYXNz"), std::string("Bearer"),
                             "Bearer " + socket, "Bearer " + expired, std::string("Bearer not.atoken")}) {
    auto refused = refuse_api_call(with_auth(header), kSigner, "publish", "room:a");
    ASSERT_TRUE(refused) << header;
    EXPECT_EQ(refused->status, 401u) << header;
    ASSERT_EQ(refused->headers.size(), 1u);
    EXPECT_EQ(refused->headers[0].first, "WWW-Authenticate");
    auto body = json::parse(refused->body).as_object();
    EXPECT_TRUE(body["error"].is_string());
    if (header.size() > 7) {
      EXPECT_EQ(refused->body.find(header.substr(7)), std::string::npos) << "token echoed";
    }
  }
  auto wrong_kind = refuse_api_call(with_auth("Bearer " + socket), kSigner, "publish");
  EXPECT_NE(wrong_kind->body.find("wrong kind"), std::string::npos) << wrong_kind->body;
  auto old = refuse_api_call(with_auth("Bearer " + expired), kSigner, "publish");
  EXPECT_NE(old->body.find("expired"), std::string::npos) << old->body;
}

TEST(ApiAuthTest, ARoleOrTopicTheTokenLacksIs403) {
  std::string metrics = api({{"roles", json::array{"metrics"}}});
  EXPECT_EQ(refuse_api_call(with_auth("Bearer " + metrics), kSigner, "publish", "room:a")->status, 403u);
  EXPECT_EQ(refuse_api_call(with_auth("Bearer " + metrics), kSigner, "metrics"), std::nullopt);
  std::string rooms = api({{"roles", json::array{"publish"}}, {"topics", json::array{"room:*", "news"}}});
  EXPECT_EQ(refuse_api_call(with_auth("Bearer " + rooms), kSigner, "publish", "room:lobby"), std::nullopt);
  EXPECT_EQ(refuse_api_call(with_auth("bearer  " + rooms + " "), kSigner, "publish", "news"), std::nullopt);
  for (const char* topic : {"news:x", "list:activity", "roo", "Room:a"})
    EXPECT_EQ(refuse_api_call(with_auth("Bearer " + rooms), kSigner, "publish", topic)->status, 403u) << topic;
  std::string any = api({{"roles", json::array{"publish"}}});
  EXPECT_EQ(refuse_api_call(with_auth("Bearer " + any), kSigner, "publish", "whatever:x"), std::nullopt);
}

TEST(ApiAuthTest, TopicPatterns) {
  EXPECT_TRUE(valid_topic_pattern("room:*"));
  EXPECT_TRUE(valid_topic_pattern("*"));
  EXPECT_TRUE(valid_topic_pattern("room:lobby"));
  EXPECT_FALSE(valid_topic_pattern(""));
  EXPECT_FALSE(valid_topic_pattern("*:lobby"));
  EXPECT_FALSE(valid_topic_pattern("room:**"));
  Json star = json::array{"*"};
  EXPECT_TRUE(topic_allowed(&star, "anything"));
  Json bad = json::array{"*x", 7};
  EXPECT_FALSE(topic_allowed(&bad, "x"));
  Json not_list = "room:*";
  EXPECT_FALSE(topic_allowed(&not_list, "room:a")) << "a malformed claim allows nothing";
  EXPECT_TRUE(topic_allowed(nullptr, "room:a"));
}

}  // namespace
}  // namespace cohort::auth
