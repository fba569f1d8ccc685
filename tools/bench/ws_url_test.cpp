// ws_url_test.cpp — parse_ws_url: the loopback rule, ports, IPv6, and the vsn=2.0.0 query.
#include "ws_url.hpp"

#include <gtest/gtest.h>

namespace cohort::bench {
namespace {

TEST(ParseWsUrl, AppendsVsnAndKeepsHostHeader) {
  WsTarget t;
  ASSERT_FALSE(parse_ws_url("ws://127.0.0.1:4000/socket/websocket", t));
  EXPECT_EQ(t.address, "127.0.0.1");
  EXPECT_EQ(t.port, 4000);
  EXPECT_EQ(t.host_header, "127.0.0.1:4000");
  EXPECT_EQ(t.target, "/socket/websocket?vsn=2.0.0");
  ASSERT_FALSE(parse_ws_url("ws://localhost:4000/socket/websocket?token=a", t));
  EXPECT_EQ(t.address, "127.0.0.1");
  EXPECT_EQ(t.target, "/socket/websocket?token=a&vsn=2.0.0");
  ASSERT_FALSE(parse_ws_url("ws://127.0.0.1:4000/socket/websocket?vsn=2.0.0&x=1", t));
  EXPECT_EQ(t.target, "/socket/websocket?vsn=2.0.0&x=1");
}

TEST(ParseWsUrl, AcceptsLoopbackRangeAndIpv6) {
  WsTarget t;
  EXPECT_FALSE(parse_ws_url("ws://127.8.9.10/s", t));
  EXPECT_EQ(t.port, 80);
  ASSERT_FALSE(parse_ws_url("ws://[::1]:4001/s", t));
  EXPECT_EQ(t.address, "::1");
  EXPECT_EQ(t.port, 4001);
  EXPECT_EQ(t.host_header, "[::1]:4001");
}

TEST(ParseWsUrl, RefusesWhatIsNotLoopback) {
  WsTarget t;
  EXPECT_TRUE(parse_ws_url("ws://10.0.0.1:4000/s", t));
  EXPECT_TRUE(parse_ws_url("ws://[2001:db8::1]:4000/s", t));
  EXPECT_TRUE(parse_ws_url("ws://example.com/s", t));
  EXPECT_TRUE(parse_ws_url("ws://0.0.0.0:4000/s", t));
}

TEST(ParseWsUrl, WssMeansTlsWithItsDefaultPort) {
  WsTarget t;
  ASSERT_FALSE(parse_ws_url("wss://127.0.0.1:4443/socket/websocket", t));
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.port, 4443);
  EXPECT_EQ(t.url(), "wss://127.0.0.1:4443/socket/websocket?vsn=2.0.0");
  ASSERT_FALSE(parse_ws_url("WSS://localhost/s", t));
  EXPECT_EQ(t.port, 443);
  ASSERT_FALSE(parse_ws_url("ws://127.0.0.1/s", t));
  EXPECT_FALSE(t.tls);
  EXPECT_TRUE(parse_ws_url("wss://10.0.0.1:4000/s", t));  // loopback only, TLS or not
}

TEST(ParseWsUrl, RefusesMalformedAndOtherSerializers) {
  WsTarget t;
  EXPECT_TRUE(parse_ws_url("http://127.0.0.1:4000/s", t));
  EXPECT_TRUE(parse_ws_url("ws://127.0.0.1:99999/s", t));
  EXPECT_TRUE(parse_ws_url("ws://user@127.0.0.1/s", t));
  EXPECT_TRUE(parse_ws_url("ws://127.0.0.1/s?vsn=1.0.0", t));
}

}  // namespace
}  // namespace cohort::bench
