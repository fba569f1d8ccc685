// endpoint_test.cpp — src/channels/endpoint.cpp (declared in src/channels/channel_socket.hpp and
// include/cohort/channel.hpp): the authToken subprotocol, topic routing by pattern, the
// connect step of an upgrade and the shared broadcast frame.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "channels/channel_socket.hpp"
#include "cohort/channel.hpp"
#include "net/ws_frame.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"

namespace cohort::channels {
namespace {

// Standard base64 without padding, as the browser's btoa() plus phoenix.js produce it.
std::string btoa_unpadded(std::string_view in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(table[(v >> (6 * k)) & 63]);
  }
  std::size_t rest = in.size() - i;
  if (rest == 1) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out.push_back(table[(v >> 18) & 63]);
    out.push_back(table[(v >> 12) & 63]);
  } else if (rest == 2) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out.push_back(table[(v >> 18) & 63]);
    out.push_back(table[(v >> 12) & 63]);
    out.push_back(table[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> token_of(std::string_view protocols, bool* offered = nullptr) {
  bool phoenix = true;
  auto t = decode_auth_token(protocols, phoenix);
  if (offered) *offered = phoenix;
  return t;
}

// ---- decode_auth_token ----

TEST(EndpointAuthToken, PhoenixOnly) {
  bool offered = false;
  EXPECT_EQ(token_of("phoenix", &offered), std::nullopt);
  EXPECT_TRUE(offered);
}

TEST(EndpointAuthToken, NoProtocols) {
  bool offered = true;
  EXPECT_EQ(token_of("", &offered), std::nullopt);
  EXPECT_FALSE(offered);
  EXPECT_EQ(token_of("chat, superchat", &offered), std::nullopt);
  EXPECT_FALSE(offered);
}

TEST(EndpointAuthToken, BrowserAndWsPackageSeparators) {
  bool offered = false;
  // btoa("token") = "dG9rZW4=", sent without its padding.
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx.dG9rZW4", &offered), "token");
  EXPECT_TRUE(offered);
  EXPECT_EQ(token_of("phoenix,base64url.bearer.phx.dG9rZW4", &offered), "token");
  EXPECT_TRUE(offered);
  EXPECT_EQ(token_of("base64url.bearer.phx.dG9rZW4 ,\tphoenix ", &offered), "token");
  EXPECT_TRUE(offered);
  EXPECT_EQ(token_of("base64url.bearer.phx.dG9rZW4", &offered), "token");
  EXPECT_FALSE(offered);
}

TEST(EndpointAuthToken, EveryLengthRoundTrips) {
  std::string raw;
  for (int n = 0; n < 40; ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(token_of("phoenix, base64url.bearer.phx." + btoa_unpadded(raw)), raw);
    raw.push_back(static_cast<char>(n * 37 + 11));
  }
}

TEST(EndpointAuthToken, StandardAndUrlSafeAlphabets) {
  // Bytes fb ff bf encode to "+/+/" (standard) or "-_-_" (url-safe).
  std::string raw("\xfb\xff\xbf\xfb\xff", 5);
  std::string standard = btoa_unpadded(raw);
  ASSERT_NE(standard.find('+'), std::string::npos);
  ASSERT_NE(standard.find('/'), std::string::npos);
  std::string url = standard;
  for (auto& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx." + standard), raw);
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx." + url), raw);
}

TEST(EndpointAuthToken, PaddedTokenIsAlsoAccepted) {
  EXPECT_EQ(token_of("base64url.bearer.phx.dG9rZW4="), "token");
  EXPECT_EQ(token_of("base64url.bearer.phx.YQ=="), "a");
}

TEST(EndpointAuthToken, JsonTokenFromAClient) {
  std::string token = R"({"user_id":42,"sig":"a+b/c=="})";
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx." + btoa_unpadded(token)), token);
}

TEST(EndpointAuthToken, InvalidBase64GivesNoToken) {
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx.!!!!"), std::nullopt);
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx.ab cd"), std::nullopt);
}

TEST(EndpointAuthToken, TokenOfOnlyPaddingDoesNotThrow) {
  // A client controls this header. "=" is padded to "====", which OpenSSL decodes to 3 bytes;
  // subtracting 4 padding characters must not underflow (resize to SIZE_MAX throws
  // std::length_error inside the upgrade handler, on the reactor thread).
  for (const char* token : {"=", "==", "===", "===="}) {
    SCOPED_TRACE(token);
    std::optional<std::string> result;
    EXPECT_NO_THROW(result = token_of(std::string("phoenix, base64url.bearer.phx.") + token));
    EXPECT_EQ(result, std::nullopt);
  }
}

TEST(EndpointAuthToken, ImpossibleLengthGivesNoToken) {
  // 4n+1 characters are never valid base64 (6 bits cannot make a byte).
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx.a"), std::nullopt);
  EXPECT_EQ(token_of("phoenix, base64url.bearer.phx.dG9rZ"), std::nullopt);
}

// ---- SocketEndpoint::route ----

ChannelFactory tagged(int* last, int tag) {
  return [last, tag]() -> std::unique_ptr<Channel> {
    *last = tag;
    return nullptr;
  };
}

// Which route's factory answers topic (0 = none).
int route_tag(const SocketEndpoint& ep, std::string_view topic, int* last) {
  *last = 0;
  const ChannelFactory* f = ep.route(topic);
  if (!f) return 0;
  (*f)();
  return *last;
}

TEST(EndpointRoute, PrefixExactAndFirstMatchWins) {
  int last = 0;
  SocketEndpoint ep("/socket");
  ep.channel("room:lobby", tagged(&last, 1))
      .channel("room:*", tagged(&last, 2))
      .channel("room:lobby2", tagged(&last, 3))  // shadowed by room:*
      .channel("user", tagged(&last, 4))
      .channel("a*b", tagged(&last, 5));
  EXPECT_EQ(ep.path(), "/socket");
  EXPECT_EQ(route_tag(ep, "room:lobby", &last), 1);
  EXPECT_EQ(route_tag(ep, "room:42", &last), 2);
  EXPECT_EQ(route_tag(ep, "room:", &last), 2);  // the prefix itself matches
  EXPECT_EQ(route_tag(ep, "room:lobby2", &last), 2);
  EXPECT_EQ(route_tag(ep, "room", &last), 0);
  EXPECT_EQ(route_tag(ep, "user", &last), 4);
  EXPECT_EQ(route_tag(ep, "user:1", &last), 0);  // no wildcard: exact only
  EXPECT_EQ(route_tag(ep, "users", &last), 0);
  EXPECT_EQ(route_tag(ep, "a*b", &last), 5);  // '*' only means "prefix" at the end
  EXPECT_EQ(route_tag(ep, "axb", &last), 0);
  EXPECT_EQ(route_tag(ep, "ROOM:1", &last), 0);  // case-sensitive
  EXPECT_EQ(route_tag(ep, "", &last), 0);
}

TEST(EndpointRoute, StarAloneMatchesEverything) {
  int last = 0;
  SocketEndpoint ep("/socket");
  ep.channel("exact", tagged(&last, 1)).channel("*", tagged(&last, 2));
  EXPECT_EQ(route_tag(ep, "exact", &last), 1);
  EXPECT_EQ(route_tag(ep, "anything:at:all", &last), 2);
  EXPECT_EQ(route_tag(ep, "", &last), 2);
}

TEST(EndpointRoute, NoRoutes) {
  SocketEndpoint ep("/socket");
  EXPECT_EQ(ep.route("room:1"), nullptr);
  EXPECT_TRUE(ep.connect(ConnectInfo{}).ok);  // no connect callback: accept
}

// ---- the upgrade's connect step ----

class EndpointUpgrade : public ::testing::Test {
 protected:
  EndpointUpgrade() : reactors_(1), pubsub_(reactors_), presence_(reactors_, pubsub_, 1, std::chrono::milliseconds(50)) {}

  net::UpgradeDecision upgrade(std::string_view query, std::string_view protocols) {
    auto handler = make_upgrade_handler(endpoint_, pubsub_, presence_);
    net::UpgradeRequest request{"/socket/websocket", query, protocols, "127.0.0.1:5555"};
    return handler(request);
  }

  net::ReactorSet reactors_;  // never started: the handler must not need a running loop
  pubsub::LocalPubSub pubsub_;
  presence::Tracker presence_;
  SocketEndpoint endpoint_{"/socket"};
  std::optional<ConnectInfo> seen_;
};

TEST_F(EndpointUpgrade, AcceptsWithParamsTokenAndThePhoenixSubprotocol) {
  endpoint_.on_connect([this](const ConnectInfo& info) {
    seen_ = info;
    return ConnectResult::accept(JsonObject{{"user", "u1"}});
  });
  auto d = upgrade("token=abc&name=J%C3%B6rg+B&vsn=2.0.0", "phoenix, base64url.bearer.phx.dG9rZW4");
  EXPECT_EQ(d.status, 101u);
  EXPECT_EQ(d.protocol, "phoenix");
  EXPECT_NE(d.handler, nullptr);
  ASSERT_TRUE(seen_);
  EXPECT_EQ(seen_->params.at("token").as_string(), "abc");
  EXPECT_EQ(seen_->params.at("name").as_string(), "J\xC3\xB6rg B");
  EXPECT_FALSE(seen_->params.contains("vsn"));
  EXPECT_EQ(seen_->auth_token, "token");
  EXPECT_EQ(seen_->peer, "127.0.0.1:5555");
}

TEST_F(EndpointUpgrade, NoSubprotocolSelectedWhenPhoenixIsNotOffered) {
  auto d = upgrade("vsn=2.0.0", "");
  EXPECT_EQ(d.status, 101u);
  EXPECT_EQ(d.protocol, "");
}

TEST_F(EndpointUpgrade, UnsupportedOrMissingVsnIs400) {
  for (const char* query : {"", "token=1", "vsn=1.0.0", "vsn=3.0.0"}) {
    SCOPED_TRACE(query);
    auto d = upgrade(query, "phoenix");
    EXPECT_EQ(d.status, 400u);
    EXPECT_EQ(d.handler, nullptr);
    EXPECT_NE(d.body.find("vsn"), std::string::npos) << d.body;
    EXPECT_NO_THROW(boost::json::parse(d.body));
  }
}

TEST_F(EndpointUpgrade, RefusedConnectIs403) {
  endpoint_.on_connect([](const ConnectInfo&) { return ConnectResult::refuse(); });
  auto d = upgrade("vsn=2.0.0", "phoenix");
  EXPECT_EQ(d.status, 403u);
  EXPECT_EQ(d.handler, nullptr);
}

// ---- the shared broadcast frame ----

class Collect : public net::ws::FrameSink {
 public:
  void on_message(net::ws::Opcode op, std::string_view payload) override {
    this->op = op;
    this->payload = payload;
  }
  void on_control(net::ws::Opcode, std::string_view) override {}
  net::ws::Opcode op{};
  std::string payload;
};

std::string unframe(const std::string& frame, net::ws::Opcode& op) {
  net::ws::FrameReader reader(1 << 20, false);
  Collect sink;
  std::string copy = frame;
  EXPECT_TRUE(reader.feed(reinterpret_cast<std::uint8_t*>(copy.data()), copy.size(), sink));
  op = sink.op;
  return sink.payload;
}

TEST(EndpointBroadcastFrame, JsonBroadcastIsATextFrameWithNullRefs) {
  Broadcast m;
  m.topic = "room:1";
  m.event = "shout";
  m.payload = JsonObject{{"body", "hi"}};
  auto frame = encode_broadcast_frame(m);
  ASSERT_TRUE(frame);
  net::ws::Opcode op;
  EXPECT_EQ(unframe(*frame, op), R"([null,null,"room:1","shout",{"body":"hi"}])");
  EXPECT_EQ(op, net::ws::Opcode::text);
}

TEST(EndpointBroadcastFrame, BinaryBroadcastIsKind2) {
  Broadcast m;
  m.topic = "t";
  m.event = "e";
  m.is_binary = true;
  m.binary = std::string("\x00\x01", 2);
  auto frame = encode_broadcast_frame(m);
  ASSERT_TRUE(frame);
  net::ws::Opcode op;
  EXPECT_EQ(unframe(*frame, op), std::string("\x02\x01\x01te\x00\x01", 7));
  EXPECT_EQ(op, net::ws::Opcode::binary);

  m.topic = std::string(256, 't');
  EXPECT_EQ(encode_broadcast_frame(m), nullptr);
}

}  // namespace
}  // namespace cohort::channels
