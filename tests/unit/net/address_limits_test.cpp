// address_limits_test.cpp — src/net/address_limits.hpp: open connections per address, new ones
// per second, tickets that give their slot back, refusals that take nothing, pruning.
#include "net/address_limits.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace cohort::net {
namespace {

using namespace std::chrono_literals;
using Clock = AddressLimits::Clock;
using Verdict = AddressLimits::Verdict;

AddressKey key(const char* text) { return address_key(boost::asio::ip::make_address(text)); }

TEST(AddressLimits, OpenConnectionsPerAddressAndTicketsGiveTheirSlotBack) {
  AddressLimits limits({.max_open = 3, .per_second = 0, .burst = 1});
  auto t = Clock::now();
  std::vector<AddressTicket> held;
  for (int i = 0; i < 3; ++i) {
    auto a = limits.admit(key("192.0.2.1"), t);
    ASSERT_EQ(a.verdict, Verdict::admitted) << i;
    ASSERT_TRUE(a.ticket);
    held.push_back(std::move(a.ticket));
  }
  EXPECT_EQ(limits.admit(key("192.0.2.1"), t).verdict, Verdict::too_many_open);
  EXPECT_EQ(limits.open(key("192.0.2.1")), 3u);
  // Another address is counted apart.
  EXPECT_EQ(limits.admit(key("192.0.2.2"), t).verdict, Verdict::admitted);
  held.pop_back();  // a connection ends
  EXPECT_EQ(limits.open(key("192.0.2.1")), 2u);
  EXPECT_EQ(limits.admit(key("192.0.2.1"), t).verdict, Verdict::admitted);  // and its ticket dies at once
}

TEST(AddressLimits, NewConnectionsPerSecondWithABurst) {
  AddressLimits limits({.max_open = 0, .per_second = 10, .burst = 5});
  auto t = Clock::now();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(limits.admit(key("192.0.2.1"), t).verdict, Verdict::admitted) << i;
  EXPECT_EQ(limits.admit(key("192.0.2.1"), t).verdict, Verdict::too_fast);
  EXPECT_EQ(limits.admit(key("192.0.2.1"), t + 100ms).verdict, Verdict::admitted);
  EXPECT_EQ(limits.admit(key("192.0.2.1"), t + 100ms).verdict, Verdict::too_fast);
}

TEST(AddressLimits, ARefusalTakesNoSlotAndNoToken) {
  AddressLimits limits({.max_open = 1, .per_second = 10, .burst = 2});
  auto t = Clock::now();
  auto first = limits.admit(key("192.0.2.1"), t);
  ASSERT_EQ(first.verdict, Verdict::admitted);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limits.admit(key("192.0.2.1"), t).verdict, Verdict::too_many_open);
  first.ticket.release();
  // One token was left of the burst of two: the refusals above took none.
  EXPECT_EQ(limits.admit(key("192.0.2.1"), t).verdict, Verdict::admitted);
}

TEST(AddressLimits, AnIPv6Slash64IsOneClient) {
  AddressLimits limits({.max_open = 2, .per_second = 0, .burst = 1});
  auto t = Clock::now();
  auto a = limits.admit(key("2001:db8::1"), t);
  auto b = limits.admit(key("2001:db8::2"), t);
  EXPECT_EQ(limits.admit(key("2001:db8::ffff:3"), t).verdict, Verdict::too_many_open);
  EXPECT_EQ(limits.admit(key("2001:db8:0:1::1"), t).verdict, Verdict::admitted);
}

TEST(AddressLimits, PruneForgetsAddressesThatHoldNothing) {
  AddressLimits limits({.max_open = 10, .per_second = 10, .burst = 2});
  auto t = Clock::now();
  auto held = limits.admit(key("192.0.2.1"), t);
  limits.admit(key("192.0.2.2"), t);  // its ticket ends at once
  EXPECT_EQ(limits.size(), 2u);
  limits.prune(t + 50ms);  // 192.0.2.2's bucket is still refilling: kept
  EXPECT_EQ(limits.size(), 2u);
  limits.prune(t + 1s);
  EXPECT_EQ(limits.size(), 1u);  // 192.0.2.1 holds a connection
  held.ticket.release();
  limits.prune(t + 2s);
  EXPECT_EQ(limits.size(), 0u);
}

TEST(AddressLimits, NoLimitsCountsNothing) {
  AddressLimits limits({.max_open = 0, .per_second = 0, .burst = 1});
  EXPECT_FALSE(limits.limited());
  auto a = limits.admit(key("192.0.2.1"), Clock::now());
  EXPECT_EQ(a.verdict, Verdict::admitted);
  EXPECT_FALSE(a.ticket);
  EXPECT_EQ(limits.size(), 0u);
}

TEST(AddressLimits, TicketsFromManyThreadsBalance) {
  AddressLimits limits({.max_open = 1'000'000, .per_second = 0, .burst = 1});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int n = 0; n < 10'000; ++n) {
        auto a = limits.admit(key("192.0.2.1"), Clock::now());
        ASSERT_EQ(a.verdict, Verdict::admitted);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(limits.open(key("192.0.2.1")), 0u);
}

}  // namespace
}  // namespace cohort::net
