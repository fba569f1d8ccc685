// token_bucket_test.cpp — src/net/token_bucket.hpp: burst, refill at the rate, no limit at rate 0,
// and the overdraft that turns a client who ignores refusals into one to close.
#include "net/token_bucket.hpp"

#include <gtest/gtest.h>

namespace cohort::net {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

TEST(TokenBucket, StartsFullAndGivesTheBurstAtOnce) {
  auto t0 = Clock::now();
  TokenBucket b(10, 5, t0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.take(t0)) << i;
  EXPECT_FALSE(b.take(t0));
}

TEST(TokenBucket, RefillsAtTheRateUpToTheBurst) {
  auto t0 = Clock::now();
  TokenBucket b(10, 5, t0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.take(t0));
  EXPECT_FALSE(b.take(t0 + 50ms));   // half a token
  EXPECT_TRUE(b.take(t0 + 100ms));   // one token after 100 ms at 10/s (the refused one cost nothing)
  EXPECT_FALSE(b.take(t0 + 100ms));
  // A long pause refills to the burst, not beyond.
  auto later = t0 + 10s;
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.take(later)) << i;
  EXPECT_FALSE(b.take(later));
}

TEST(TokenBucket, ASteadyClientAtTheRateIsNeverRefused) {
  auto t = Clock::now();
  TokenBucket b(100, 1, t, /*overdraft=*/1);
  for (int i = 0; i < 1000; ++i) {
    t += 10ms;  // exactly 100 a second
    ASSERT_TRUE(b.take(t)) << i;
  }
  EXPECT_FALSE(b.exhausted());
}

TEST(TokenBucket, RateZeroMeansNoLimit) {
  auto t0 = Clock::now();
  TokenBucket b(0, 1, t0, 1);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(b.take(t0));
  EXPECT_FALSE(b.exhausted());
  EXPECT_FALSE(b.limited());
  TokenBucket none;
  EXPECT_TRUE(none.take(t0));
}

TEST(TokenBucket, OverdraftChargesRefusalsAndEndsExhausted) {
  auto t0 = Clock::now();
  TokenBucket b(10, 4, t0, /*overdraft=*/4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(b.take(t0));
  // Four refusals dig the bucket down to -4: exhausted only after the fourth.
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(b.exhausted()) << i;
    EXPECT_FALSE(b.take(t0)) << i;
  }
  EXPECT_TRUE(b.exhausted());
  EXPECT_DOUBLE_EQ(b.tokens(), -4);
  EXPECT_FALSE(b.take(t0));  // never below the floor
  EXPECT_DOUBLE_EQ(b.tokens(), -4);
}

TEST(TokenBucket, AClientThatSlowsDownClimbsBackOut) {
  auto t0 = Clock::now();
  TokenBucket b(10, 2, t0, 2);
  ASSERT_TRUE(b.take(t0));
  ASSERT_TRUE(b.take(t0));
  ASSERT_FALSE(b.take(t0));  // -1
  // 200 ms at 10/s: back to +1, served again, no longer in debt.
  EXPECT_TRUE(b.take(t0 + 200ms));
  EXPECT_FALSE(b.exhausted());
}

TEST(TokenBucket, TwiceTheRateIsExhaustedAfterBurstOverRateSeconds) {
  // Rate 100, burst 200, overdraft 200 (the socket defaults): a client sending 200 a second
  // loses 100 tokens a second from a full 200 down to -200: closed after about 4 s.
  auto t = Clock::now();
  TokenBucket b(100, 200, t, 200);
  int sent = 0;
  while (!b.exhausted() && sent < 100000) {
    t += 5ms;
    b.take(t);
    ++sent;
  }
  EXPECT_NEAR(sent * 0.005, 4.0, 0.05);
}

TEST(TokenBucket, FullTellsAnIdleBucketFromARefillingOne) {
  auto t0 = Clock::now();
  TokenBucket b(10, 2, t0);
  EXPECT_TRUE(b.full(t0));
  ASSERT_TRUE(b.take(t0));
  EXPECT_FALSE(b.full(t0 + 50ms));
  EXPECT_TRUE(b.full(t0 + 100ms));
}

}  // namespace
}  // namespace cohort::net
