// grants_test.cpp — src/auth/grants.cpp: a grant is redeemed once, only before it expires and
// only by the run (epoch) it was minted for; checking it changes nothing.
#include "auth/grants.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <thread>

namespace cohort::auth {
namespace {

const TokenSigner kSigner(std::string(40, 's'));
std::int64_t now() { return static_cast<std::int64_t>(std::time(nullptr)); }

TEST(GrantsTest, RedeemsOnceAndChecksWithoutUsingUp) {
  GrantLedger ledger;
  std::string g = ledger.mint(kSigner, {"moderator"}, std::chrono::seconds(600));
  for (int i = 0; i < 3; ++i) {
    GrantCheck c = ledger.check(kSigner, g, now());
    ASSERT_EQ(c.error, "");
    EXPECT_EQ(c.roles, std::vector<std::string>{"moderator"});
  }
  GrantCheck first = ledger.redeem(kSigner, g, now());
  EXPECT_EQ(first.error, "");
  EXPECT_EQ(first.roles, std::vector<std::string>{"moderator"});
  EXPECT_EQ(ledger.redeem(kSigner, g, now()).error, "already used");
  EXPECT_EQ(ledger.check(kSigner, g, now()).error, "already used");
  std::string other = ledger.mint(kSigner, {"moderator"}, std::chrono::seconds(600));
  EXPECT_EQ(ledger.redeem(kSigner, other, now()).error, "") << "each grant has its own id";
}

TEST(GrantsTest, ConcurrentRedeemsOfOneGrantSucceedOnce) {
  GrantLedger ledger;
  std::string g = ledger.mint(kSigner, {"moderator"}, std::chrono::seconds(600));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      if (ledger.redeem(kSigner, g, now()).error.empty()) ok.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
}

TEST(GrantsTest, ExpiredGrantsAndGrantsOfAnotherRunAreRefused) {
  GrantLedger ledger;
  std::string g = ledger.mint(kSigner, {"moderator"}, std::chrono::seconds(60));
  EXPECT_EQ(ledger.redeem(kSigner, g, now() + 61).error, "expired");
  GrantLedger restarted;
  EXPECT_NE(restarted.epoch(), ledger.epoch());
  EXPECT_EQ(restarted.redeem(kSigner, g, now()).error, "made before the node restarted");
  // A grant minted offline (cohort grant) for this run's epoch is accepted.
  std::string offline = mint_grant(kSigner, restarted.epoch(), {"moderator"}, std::chrono::seconds(60));
  EXPECT_EQ(restarted.redeem(kSigner, offline, now()).error, "");
}

TEST(GrantsTest, OtherKindsOrSecretsAreNotGrants) {
  GrantLedger ledger;
  std::string session = kSigner.sign(TokenKind::session,
                                     {{"roles", json::array{"moderator"}}, {"jti", "x"}, {"epoch", ledger.epoch()}},
                                     std::chrono::seconds(60));
  EXPECT_EQ(ledger.redeem(kSigner, session, now()).error, "wrong kind");
  TokenSigner other(std::string(40, 'o'));
  EXPECT_EQ(ledger.redeem(kSigner, mint_grant(other, ledger.epoch(), {"moderator"}, std::chrono::seconds(60)), now()).error,
            "bad signature");
}

}  // namespace
}  // namespace cohort::auth
