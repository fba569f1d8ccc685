// long_poll_test.cpp — src/channels/long_poll.* (its pure parts): the session token (signed,
// naming node, reactor and session; refused when forged, of another kind, of another node or of
// a reactor the node does not have) and which query param is the session token.
#include <gtest/gtest.h>

#include "channels/long_poll.hpp"
#include "cohort/token.hpp"

namespace cohort::channels {
namespace {

const TokenSigner kSigner(std::string(40, 's'));

std::vector<net::QueryParam> params(std::initializer_list<std::pair<const char*, std::string>> list) {
  std::vector<net::QueryParam> out;
  for (const auto& [k, v] : list) out.push_back({k, v, true});
  return out;
}

TEST(SessionToken, RoundTripsNodeReactorAndId) {
  std::string token = sign_session(kSigner, {"node-a", 1, 42});
  SessionRead read = read_session(kSigner, token, "node-a", 2);
  EXPECT_EQ(read.check, SessionCheck::ok);
  EXPECT_EQ(read.name.node, "node-a");
  EXPECT_EQ(read.name.reactor, 1u);
  EXPECT_EQ(read.name.id, 42u);
}

TEST(SessionToken, AnotherNodesTokenIsForeign) {
  std::string token = sign_session(kSigner, {"node-b", 0, 7});
  EXPECT_EQ(read_session(kSigner, token, "node-a", 2).check, SessionCheck::foreign);
}

TEST(SessionToken, ForgedOtherKindOrOutOfRangeIsInvalid) {
  std::string token = sign_session(kSigner, {"node-a", 0, 7});
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(read_session(kSigner, forged, "node-a", 2).check, SessionCheck::invalid);
  EXPECT_EQ(read_session(TokenSigner(std::string(40, 'o')), token, "node-a", 2).check, SessionCheck::invalid)
      << "signed with another secret";
  std::string socket = kSigner.sign(TokenKind::socket, JsonObject{{"node", "node-a"}, {"r", 0}, {"id", 7}},
                                    std::chrono::hours(1));
  EXPECT_EQ(read_session(kSigner, socket, "node-a", 2).check, SessionCheck::invalid) << "a token of another kind";
  EXPECT_EQ(read_session(kSigner, sign_session(kSigner, {"node-a", 5, 7}), "node-a", 2).check, SessionCheck::invalid)
      << "a reactor the node does not have";
  EXPECT_EQ(read_session(kSigner, "", "node-a", 2).check, SessionCheck::invalid);
}

TEST(SplitSession, NoTokenNoSession) {
  auto q = split_session(params({{"vsn", "2.0.0"}}), "");
  EXPECT_FALSE(q.session);
  ASSERT_EQ(q.connect.size(), 1u);
}

TEST(SplitSession, ASingleTokenParamIsTheAppsUnlessItClaimsToBeASession) {
  auto app = split_session(params({{"token", "userTok"}, {"vsn", "2.0.0"}}), "");
  EXPECT_FALSE(app.session);
  ASSERT_EQ(app.connect.size(), 2u);
  EXPECT_EQ(app.connect[0].value, "userTok");
  std::string session = sign_session(kSigner, {"n", 0, 1});
  auto ours = split_session(params({{"vsn", "2.0.0"}, {"token", session}}), "");
  EXPECT_EQ(ours.session, session);
  EXPECT_EQ(ours.connect.size(), 1u);
  std::string forged = session + "x";  // the claims still say longpoll: a session token, to be refused
  EXPECT_EQ(split_session(params({{"token", forged}}), "").session, forged);
}

TEST(SplitSession, OfTwoTokenParamsTheLastIsTheSessionsAndTheFirstStaysTheApps) {
  auto q = split_session(params({{"token", "userTok"}, {"vsn", "2.0.0"}, {"token", "T1"}}), "");
  EXPECT_EQ(q.session, "T1");
  ASSERT_EQ(q.connect.size(), 2u);
  EXPECT_EQ(q.connect[0].key, "token");
  EXPECT_EQ(q.connect[0].value, "userTok");
}

TEST(SplitSession, TheHeaderWinsAndLeavesTheParamsAlone) {
  auto q = split_session(params({{"token", "userTok"}}), "T2");
  EXPECT_EQ(q.session, "T2");
  ASSERT_EQ(q.connect.size(), 1u);
  EXPECT_EQ(q.connect[0].value, "userTok");
}

}  // namespace
}  // namespace cohort::channels
