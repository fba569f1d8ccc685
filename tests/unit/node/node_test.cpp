// node_test.cpp — include/cohort/node.hpp (src/node.cpp): an in-process Node on 127.0.0.1,
// port 0, 2 reactor threads, driven over raw asio TCP sockets: HTTP routes, the WebSocket
// upgrade, a Phoenix heartbeat, and a prompt shutdown.
#include "cohort/node.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <ctime>
#include <deque>
#include <filesystem>
#include <future>

#include "loopback_client.hpp"
#include "net/ws_frame.hpp"

namespace cohort {
namespace {

namespace fs = std::filesystem;
namespace ws = net::ws;
using namespace std::chrono_literals;
using test_support::Client;
using test_support::header;
using test_support::http_get;
using test_support::kDeadline;

// The RFC 6455 section 1.3 example key and its accept value.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string upgrade_request(std::string_view target, std::string_view protocols) {
  std::string req = "GET " + std::string(target) +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + std::string(kKey) + "\r\n";
  if (!protocols.empty()) req += "Sec-WebSocket-Protocol: " + std::string(protocols) + "\r\n";
  return req + "\r\n";
}

class NodeTest : public ::testing::Test {
 protected:
  NodeTest() {
    dir_ = fs::temp_directory_path() /
           ("cohort_node_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "static");
    Config c;
    c.host = "127.0.0.1";
    c.port = 0;
    c.threads = 2;
    c.data_dir = (dir_ / "data").string();
    c.static_dir = (dir_ / "static").string();  // empty: unknown paths are 404
    c.max_connections = 100;
    c.shutdown_grace_ms = 3000;
    node_ = std::make_unique<Node>(c);
    node_->socket("/socket").channel("room:*", [] { return std::unique_ptr<Channel>(); });
    node_->route("GET", "/hello/:who", [](const HttpRequest& r) {
      return HttpResponse{200, "text/plain", "hello " + r.param("who") + " " + r.method + " " + r.path + " ?" + r.query, {}};
    });
  }
  ~NodeTest() override {
    node_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::uint16_t start() {
    auto err = node_->start();
    if (err) throw std::runtime_error("node did not start: " + *err);
    return node_->port();
  }
  // Opens a WebSocket on /socket/websocket and checks the 101 answer.
  std::unique_ptr<Client> open_socket(std::uint16_t port) {
    auto c = std::make_unique<Client>(port);
    c->write(upgrade_request("/socket/websocket?vsn=2.0.0", "phoenix"));
    std::string head = c->read_head();
    EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
    return c;
  }

  fs::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeTest, StartsOnAPickedPortAndAnswersHealthz) {
  auto port = start();
  EXPECT_NE(port, 0);
  auto r = http_get(port, "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(boost::json::parse(r.body), boost::json::parse(R"({"ok":true})"));
  EXPECT_EQ(header(r.head, "Content-Type"), "application/json");
  EXPECT_TRUE(fs::is_directory(dir_ / "data"));
}

TEST_F(NodeTest, RegisteredRouteAnswers) {
  auto port = start();
  auto r = http_get(port, "/hello/big%20world?x=1");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "hello big world GET /hello/big%20world ?x=1");
  EXPECT_EQ(header(r.head, "Content-Type"), "text/plain");
  EXPECT_EQ(header(r.head, "X-Content-Type-Options"), "nosniff");
}

// A route sees the Origin header a browser sent (a form handler refuses another site's POST).
TEST_F(NodeTest, ARouteSeesTheRequestsOrigin) {
  node_->route("POST", "/origin", [](const HttpRequest& r) { return HttpResponse{200, "text/plain", "[" + r.origin + "]", {}}; });
  auto port = start();
  Client c(port);
  c.write("POST /origin HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://evil.example\r\nConnection: close\r\n"
          "Content-Length: 0\r\n\r\n");
  std::string reply = c.read_to_eof();
  EXPECT_NE(reply.find("\r\n\r\n[https://evil.example]"), std::string::npos) << reply;
  EXPECT_EQ(http_get(port, "/origin", "POST").body, "[]");  // no Origin header: empty
}

// Node::issue_token: a socket token signed with the node's secret, for who the server says.
TEST_F(NodeTest, IssueTokenSignsASocketTokenOnceStarted) {
  EXPECT_THROW(node_->issue_token(JsonObject{{"sub", "ada"}}, std::chrono::seconds(60)), std::logic_error)
      << "no secret before start()";
  start();
  // The signer's clock: time(), which may lag a precise read of the same instant by a tick (at a
  // second's turn the precise clock said one more second than the token's exp, once in CI).
  auto before = static_cast<std::int64_t>(std::time(nullptr));
  std::string token = node_->issue_token(
      JsonObject{{"sub", "ada"}, {"name", "Ada"}, {"roles", json::array{"editor"}}, {"kind", "api"}, {"exp", 1}},
      std::chrono::seconds(600));
  auto v = node_->signer().verify(token, TokenKind::socket);
  ASSERT_TRUE(v.claims) << v.error;
  EXPECT_EQ(v.claims->at("sub"), "ada");
  EXPECT_EQ(v.claims->at("name"), "Ada");
  EXPECT_EQ(v.claims->at("roles"), json::array{"editor"});
  EXPECT_EQ(v.claims->at("kind"), "socket") << "kind and exp are the node's, whatever the claims said";
  auto exp = v.claims->at("exp").to_number<std::int64_t>();
  EXPECT_GE(exp, before + 600);
  EXPECT_LE(exp, before + 602);
  EXPECT_EQ(node_->signer().verify(token, TokenKind::api).error, "wrong kind");
  Actor who = Actor::from_claims(*v.claims);
  EXPECT_EQ(who.id, "ada");
  EXPECT_TRUE(who.has_role("editor"));
}

// Node::same_origin: no Origin, or the node's own; never another site, even one allowed to
// open WebSockets.
TEST_F(NodeTest, SameOriginIsTheNodesOwnOrigin) {
  Config c = node_->config();
  c.allowed_origins = "http://partner.example";
  node_ = std::make_unique<Node>(c);
  auto port = start();
  HttpRequest r;
  r.host = "127.0.0.1:" + std::to_string(port);
  EXPECT_TRUE(node_->same_origin(r)) << "no Origin: not a browser, or a same-origin GET";
  r.origin = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_TRUE(node_->same_origin(r));
  for (const std::string& other : std::vector<std::string>{"http://partner.example", "http://evil.example", "null",
                                                          "https://127.0.0.1:" + std::to_string(port)}) {
    r.origin = other;
    EXPECT_FALSE(node_->same_origin(r)) << other;
  }
}

TEST_F(NodeTest, RoutesMatchWholeSegmentsOnly) {
  auto port = start();
  EXPECT_EQ(http_get(port, "/helloworld/x").status, 404u);
  EXPECT_EQ(http_get(port, "/hello/x/y").status, 404u);
  EXPECT_EQ(http_get(port, "/hello").status, 404u);
  EXPECT_EQ(http_get(port, "/hello/%zz").status, 400u);
}

TEST_F(NodeTest, RouteRefusesAMalformedPattern) {
  EXPECT_THROW(node_->route("GET", "hello", [](const HttpRequest&) { return HttpResponse{}; }), std::invalid_argument);
}

TEST_F(NodeTest, UnknownPathsAndMethodsAre404) {
  auto port = start();
  auto r = http_get(port, "/no/such/thing");
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("no route"), std::string::npos) << r.body;
  EXPECT_EQ(http_get(port, "/hello/x", "POST").status, 404u);  // route is GET only
}

TEST_F(NodeTest, WebSocketHandshakeSelectsPhoenixWithTheRightAccept) {
  auto port = start();
  Client c(port);
  c.write(upgrade_request("/socket/websocket?vsn=2.0.0", "phoenix, base64url.bearer.phx.dG9rZW4"));
  std::string head = c.read_head();
  EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  EXPECT_EQ(header(head, "Sec-WebSocket-Accept"), kAccept);
  EXPECT_EQ(header(head, "Sec-WebSocket-Protocol"), "phoenix");
  EXPECT_EQ(header(head, "Upgrade"), "websocket");
}

TEST_F(NodeTest, WebSocketAtAnUnknownPathIs404) {
  auto port = start();
  Client c(port);
  c.write(upgrade_request("/nope/websocket?vsn=2.0.0", "phoenix"));
  std::string head = c.read_head();
  EXPECT_EQ(head.rfind("HTTP/1.1 404 ", 0), 0u) << head;
}

TEST_F(NodeTest, HeartbeatGetsTheExactReply) {
  auto port = start();
  auto c = open_socket(port);
  c->write(ws::encode_masked_frame(ws::Opcode::text, R"([null,"1","phoenix","heartbeat",{}])", 0x12345678));
  auto [op, text] = c->read_frame();
  EXPECT_EQ(op, ws::Opcode::text);
  EXPECT_EQ(text, R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])");

  // A ping is answered with a pong carrying the same bytes.
  c->write(ws::encode_masked_frame(ws::Opcode::ping, "are you there", 0x0badf00d));
  auto [pop, ppayload] = c->read_frame();
  EXPECT_EQ(pop, ws::Opcode::pong);
  EXPECT_EQ(ppayload, "are you there");
}

TEST_F(NodeTest, HeartbeatSentRightBehindTheUpgradeRequestIsAnswered) {
  // Bytes that arrive in the same segment as the request belong to the WebSocket.
  auto port = start();
  Client c(port);
  c.write(upgrade_request("/socket/websocket?vsn=2.0.0", "phoenix") +
          ws::encode_masked_frame(ws::Opcode::text, R"([null,"7","phoenix","heartbeat",{}])", 0x01020304));
  std::string head = c.read_head();
  ASSERT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  auto [op, text] = c.read_frame();
  EXPECT_EQ(text, R"([null,"7","phoenix","phx_reply",{"status":"ok","response":{}}])");
}

TEST_F(NodeTest, StopReturnsPromptlyAndClosesSocketsWithGoingAway) {
  auto port = start();
  auto c = open_socket(port);
  c->write(ws::encode_masked_frame(ws::Opcode::text, R"([null,"1","phoenix","heartbeat",{}])", 0x12345678));
  ASSERT_EQ(c->read_frame().first, ws::Opcode::text);

  auto waiting = std::async(std::launch::async, [&] { node_->wait(); });
  auto t0 = std::chrono::steady_clock::now();
  node_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "stop() must only signal";

  // The open socket is told 1001 going away; answering the close completes the handshake.
  auto [op, body] = c->read_frame();
  ASSERT_EQ(op, ws::Opcode::close);
  ASSERT_GE(body.size(), 2u);
  EXPECT_EQ((static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]), 1001);
  c->write(ws::encode_close(ws::CloseCode::going_away, "", /*masked=*/true));
  ASSERT_EQ(waiting.wait_for(kDeadline), std::future_status::ready) << "wait() did not return after stop()";
  waiting.get();
  // Well inside shutdown_grace_ms (3 s): the node did not sit out the grace period.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
}

TEST_F(NodeTest, StopWithNoConnectionsReturnsAtOnce) {
  start();
  auto waiting = std::async(std::launch::async, [&] { node_->wait(); });
  auto t0 = std::chrono::steady_clock::now();
  node_->stop();
  ASSERT_EQ(waiting.wait_for(kDeadline), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(NodeTest, StartRefusesAnInvalidConfig) {
  Config c;
  c.host = "not-an-address";
  c.port = 0;
  c.threads = 1;
  c.data_dir = (dir_ / "data2").string();
  c.static_dir = (dir_ / "static").string();
  c.max_connections = 100;
  Node bad(c);
  auto err = bad.start();
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("not-an-address"), std::string::npos) << *err;
}

}  // namespace
}  // namespace cohort
