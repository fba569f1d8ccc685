// membership_test.cpp — down detection from heartbeats (src/cluster/membership.*), fake clock.
#include "cluster/membership.hpp"

#include <gtest/gtest.h>

namespace cohort::cluster {
namespace {

using namespace std::chrono_literals;
const Membership::TimePoint t0{};

TEST(Membership, ANodeIsDownOnlyAfterDownAfterOfSilence) {
  Membership m(5000ms);
  EXPECT_TRUE(m.heard(2, t0));
  EXPECT_FALSE(m.heard(2, t0 + 1000ms));
  EXPECT_TRUE(m.expire(t0 + 6000ms).empty());  // silent for exactly 5 s: not yet
  EXPECT_EQ(m.expire(t0 + 6001ms), std::vector<std::uint32_t>{2});
  EXPECT_FALSE(m.alive(2));
  EXPECT_TRUE(m.expire(t0 + 9000ms).empty());  // reported once
  EXPECT_TRUE(m.heard(2, t0 + 9000ms));        // back: a new member again
}

TEST(Membership, BoundIsDownAfterPlusOneHeartbeatWhenCheckedEveryHeartbeat) {
  const auto hb = 1000ms;
  Membership m(5000ms);
  m.heard(1, t0);  // its last heartbeat; it dies right after
  Membership::TimePoint declared{};
  for (auto now = t0; now < t0 + 20s; now += hb) {
    if (!m.expire(now).empty()) {
      declared = now;
      break;
    }
  }
  EXPECT_GT(declared, t0);
  EXPECT_LE(declared - t0, 5000ms + hb);
}

TEST(Membership, ByeForgetsAndOurOwnOutageRestartsEverySilence) {
  Membership m(5000ms);
  m.heard(1, t0);
  m.heard(2, t0);
  EXPECT_TRUE(m.forget(1));
  EXPECT_FALSE(m.forget(1));
  m.refresh_all(t0 + 10s);  // we heard nobody for 10 s because our link was down
  EXPECT_TRUE(m.expire(t0 + 14s).empty());
  EXPECT_EQ(m.nodes(), std::vector<std::uint32_t>{2});
  EXPECT_EQ(m.expire(t0 + 16s), std::vector<std::uint32_t>{2});
}

}  // namespace
}  // namespace cohort::cluster
