// ws_handshake_test.cpp — the upgrade request and the checks on the 101 response.
#include "ws_handshake.hpp"

#include <gtest/gtest.h>

namespace cohort::bench {
namespace {

// RFC 6455 section 1.3: this key must be answered with this accept value.
constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr const char* kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

TEST(WsHandshake, RequestCarriesTargetHostAndKey) {
  WsTarget t;
  t.host_header = "127.0.0.1:4000";
  t.target = "/socket/websocket?vsn=2.0.0";
  std::string req = upgrade_request(t, kKey);
  EXPECT_EQ(req.rfind("GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(req.find("Host: 127.0.0.1:4000\r\n"), std::string::npos);
  EXPECT_NE(req.find(std::string("Sec-WebSocket-Key: ") + kKey + "\r\n"), std::string::npos);
  EXPECT_EQ(make_ws_key(1, 2).size(), 24u);
}

TEST(WsHandshake, AcceptsA101WithTheRightAccept) {
  std::string head = std::string("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n") +
                     "sec-websocket-accept: " + kAccept + "\r\n\r\n";
  std::size_t len = 0;
  std::string why;
  EXPECT_EQ(check_upgrade_response(head.substr(0, 20), kKey, len, why), HeadStatus::incomplete);
  EXPECT_EQ(check_upgrade_response(head + "\x81\x02{}", kKey, len, why), HeadStatus::upgraded);
  EXPECT_EQ(len, head.size());
}

TEST(WsHandshake, RefusesOtherStatusesAndWrongAccept) {
  std::size_t len = 0;
  std::string why;
  EXPECT_EQ(check_upgrade_response("HTTP/1.1 403 Forbidden\r\n\r\n", kKey, len, why), HeadStatus::refused);
  EXPECT_NE(why.find("403 Forbidden"), std::string::npos);
  EXPECT_EQ(check_upgrade_response("HTTP/1.1 101 OK\r\nSec-WebSocket-Accept: nope\r\n\r\n", kKey, len, why),
            HeadStatus::refused);
}

TEST(WsHandshake, OffersDeflateOnlyWhenAsked) {
  WsTarget t;
  t.host_header = "127.0.0.1:4000";
  t.target = "/socket/websocket?vsn=2.0.0";
  EXPECT_NE(upgrade_request(t, kKey).find("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"),
            std::string::npos);
  t.offer_deflate = false;
  EXPECT_EQ(upgrade_request(t, kKey).find("Sec-WebSocket-Extensions"), std::string::npos);
}

TEST(WsHandshake, ReadsTheDeflateAnswer) {
  auto head = [](std::string ext) {
    return std::string("HTTP/1.1 101 Switching Protocols\r\nsec-websocket-accept: ") + kAccept + "\r\n" + ext + "\r\n";
  };
  std::size_t len = 0;
  std::string why;
  bool deflate = true;
  EXPECT_EQ(check_upgrade_response(head(""), kKey, len, why, true, &deflate), HeadStatus::upgraded);
  EXPECT_FALSE(deflate);  // offered, declined: plain frames
  std::string yes = "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n";
  EXPECT_EQ(check_upgrade_response(head(yes), kKey, len, why, true, &deflate), HeadStatus::upgraded);
  EXPECT_TRUE(deflate);
  EXPECT_EQ(check_upgrade_response(head(yes), kKey, len, why, false, &deflate), HeadStatus::refused);  // not offered
  EXPECT_EQ(check_upgrade_response(head("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n"),
                                   kKey, len, why, true, &deflate),
            HeadStatus::refused);
  EXPECT_EQ(check_upgrade_response(head("Sec-WebSocket-Extensions: x-other\r\n"), kKey, len, why, true, &deflate),
            HeadStatus::refused);
}

}  // namespace
}  // namespace cohort::bench
