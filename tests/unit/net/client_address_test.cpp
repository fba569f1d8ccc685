// client_address_test.cpp — src/net/client_address.hpp: trusted proxy lists (addresses and
// CIDRs), X-Forwarded-For and Forwarded parsing, who the client is, and the per-address key.
#include "net/client_address.hpp"

#include <gtest/gtest.h>

namespace cohort::net {
namespace {

IpAddress ip(const char* text) { return boost::asio::ip::make_address(text); }

TrustedProxies proxies(const char* text) {
  TrustedProxies t;
  auto err = TrustedProxies::parse(text, t);
  EXPECT_FALSE(err) << *err;
  return t;
}

TEST(TrustedProxies, EmptyTrustsNobody) {
  auto t = proxies("");
  EXPECT_TRUE(t.empty());
  EXPECT_FALSE(t.contains(ip("127.0.0.1")));
}

TEST(TrustedProxies, AddressesAndNetworksOfBothFamilies) {
  auto t = proxies("127.0.0.1, 10.0.0.0/8,192.168.1.7/32 , 2001:db8::/32, ::1");
  EXPECT_TRUE(t.contains(ip("127.0.0.1")));
  EXPECT_FALSE(t.contains(ip("127.0.0.2")));
  EXPECT_TRUE(t.contains(ip("10.0.0.1")));
  EXPECT_TRUE(t.contains(ip("10.255.255.255")));
  EXPECT_FALSE(t.contains(ip("11.0.0.1")));
  EXPECT_TRUE(t.contains(ip("192.168.1.7")));
  EXPECT_FALSE(t.contains(ip("192.168.1.8")));
  EXPECT_TRUE(t.contains(ip("2001:db8:1234::5")));
  EXPECT_FALSE(t.contains(ip("2001:db9::5")));
  EXPECT_TRUE(t.contains(ip("::1")));
  // An IPv4-mapped address (a dual-stack listener) is its IPv4 address.
  EXPECT_TRUE(t.contains(ip("::ffff:10.1.2.3")));
}

TEST(TrustedProxies, HostBitsInANetworkAreIgnored) {
  auto t = proxies("10.1.2.3/16");
  EXPECT_TRUE(t.contains(ip("10.1.200.1")));
  EXPECT_FALSE(t.contains(ip("10.2.0.1")));
}

TEST(TrustedProxies, BadEntriesAreRefusedWithTheirText) {
  for (const char* bad : {"10.0.0.0/33", "example.com", "10.0.0.1,,10.0.0.2", "2001:db8::/129", "10.0.0/8", "1.2.3.4/x"}) {
    TrustedProxies t;
    auto err = TrustedProxies::parse(bad, t);
    ASSERT_TRUE(err) << bad;
    EXPECT_NE(err->find("trusted_proxies"), std::string::npos) << *err;
  }
}

TEST(ForwardingHeaders, HopsParseWithAndWithoutPortsAndQuotes) {
  EXPECT_EQ(parse_hop("192.0.2.1"), ip("192.0.2.1"));
  EXPECT_EQ(parse_hop(" 192.0.2.1:4711 "), ip("192.0.2.1"));
  EXPECT_EQ(parse_hop("[2001:db8::1]:80"), ip("2001:db8::1"));
  EXPECT_EQ(parse_hop("[2001:db8::1]"), ip("2001:db8::1"));
  EXPECT_EQ(parse_hop("2001:db8::1"), ip("2001:db8::1"));
  EXPECT_EQ(parse_hop("\"[2001:db8:cafe::17]:4711\""), ip("2001:db8:cafe::17"));
  EXPECT_EQ(parse_hop("::ffff:192.0.2.9"), ip("192.0.2.9"));
  for (const char* bad : {"unknown", "_hidden", "", "[2001:db8::1", "[::1]x", "1.2.3.4.5", "evil.example"})
    EXPECT_FALSE(parse_hop(bad)) << bad;
}

TEST(ForwardingHeaders, ForwardedForParametersInOrder) {
  auto hops = forwarded_for_hops("for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\", proto=https");
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[0], "192.0.2.60");
  EXPECT_EQ(hops[1], "\"[2001:db8:cafe::17]:4711\"");
  EXPECT_EQ(hops[2], "");  // an element without for=: a hop nobody can read
  auto x = x_forwarded_for_hops("203.0.113.7, 10.0.0.2,10.0.0.3");
  ASSERT_EQ(x.size(), 3u);
  EXPECT_EQ(x[0], "203.0.113.7");
  EXPECT_EQ(x[2], "10.0.0.3");
  EXPECT_TRUE(x_forwarded_for_hops("  ").empty());
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItWrites) {
  auto t = proxies("10.0.0.0/8");
  EXPECT_EQ(client_address(ip("198.51.100.4"), t, "for=203.0.113.7", "203.0.113.7"), ip("198.51.100.4"));
  EXPECT_EQ(client_address(ip("198.51.100.4"), TrustedProxies{}, "", "203.0.113.7"), ip("198.51.100.4"));
}

TEST(ClientAddress, ATrustedPeerNamesTheClientNearestToItThatIsNotTrusted) {
  auto t = proxies("10.0.0.0/8");
  // The client wrote "1.2.3.4" itself; the proxy appended the address it saw, then a second
  // proxy (10.0.0.2) appended the first one's.
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "", "1.2.3.4, 203.0.113.7, 10.0.0.2"), ip("203.0.113.7"));
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "for=1.2.3.4, for=203.0.113.7;proto=https, for=10.0.0.2", ""),
            ip("203.0.113.7"));
  // Forwarded wins over X-Forwarded-For.
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "for=203.0.113.8", "203.0.113.9"), ip("203.0.113.8"));
  // No header: the proxy itself.
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "", ""), ip("10.0.0.3"));
  // Every hop trusted: the leftmost.
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "", "10.0.0.9, 10.0.0.2"), ip("10.0.0.9"));
}

TEST(ClientAddress, AnUnreadableHopStopsAtTheLastTrustedOne) {
  auto t = proxies("10.0.0.0/8");
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "", "203.0.113.7, garbage, 10.0.0.2"), ip("10.0.0.2"));
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "for=unknown", ""), ip("10.0.0.3"));
  EXPECT_EQ(client_address(ip("10.0.0.3"), t, "for=\"[2001:db8::5]:1\"", ""), ip("2001:db8::5"));
}

TEST(AddressKey, IPv4ByAddressIPv6ByItsSlash64) {
  EXPECT_EQ(address_key(ip("192.0.2.1")), address_key(ip("::ffff:192.0.2.1")));
  EXPECT_FALSE(address_key(ip("192.0.2.1")) == address_key(ip("192.0.2.2")));
  EXPECT_EQ(address_key(ip("2001:db8:1:2::1")), address_key(ip("2001:db8:1:2:ffff::9")));
  EXPECT_FALSE(address_key(ip("2001:db8:1:2::1")) == address_key(ip("2001:db8:1:3::1")));
  EXPECT_EQ(to_string(address_key(ip("192.0.2.1"))), "192.0.2.1");
  EXPECT_EQ(to_string(address_key(ip("2001:db8:1:2::1"))), "2001:db8:1:2::/64");
  AddressKeyHash h;
  EXPECT_EQ(h(address_key(ip("2001:db8:1:2::1"))), h(address_key(ip("2001:db8:1:2::7"))));
}

}  // namespace
}  // namespace cohort::net
