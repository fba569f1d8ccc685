// ws_connection_test.cpp — src/net/ws_connection.* over a real loopback TCP socket: the server end
// is a WsConnection on a real reactor (its own registry, NetContext and Config), the client end a
// blocking socket in the test thread that speaks raw frames (masked, as a client must) and reads
// every frame the server sends, even after a close frame — in plain TCP or over TLS (OpenSSL,
// verifying a throwaway self-signed certificate the test makes). Covers: messages both ways; a
// ping answered with its payload, a pong taken as activity only; while a write is stuck, many
// pings leave one pong, the latest; an outbound queue past outbound_queue_limit closing with 1008
// (counted), while a client that reads gets the same volume and more; pings past the message rate
// unanswered and then closed with 1008; the close handshake from the peer (status echoed, half-
// close, nothing delivered after) and from us (the handler told at once, no message delivered or
// sent after our close frame, frames queued before it sent first, then a half-close); a peer that
// never answers our close dropped at the handshake deadline; the idle timeout; TLS (a real
// handshake, messages larger than a TLS record both ways, queued frames leaving in one write,
// the close); permessage-deflate (compressed messages both ways, small ones plain, a broadcast
// compressed, and RSV1 without the extension refused with 1002). Socket buffers are made small
// so that "a client that does not read" fills them quickly. Every wait has a deadline (a receive
// timeout on the client).
#include "net/ws_connection.hpp"
#include "net/transport.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <deque>

#include "net/tls.hpp"
#include "net/ws_deflate.hpp"
#include "reactor_support.hpp"
#include "throwaway_cert.hpp"

namespace cohort::net {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::tcp;
using test_support::eventually;
using test_support::run_on;
using test_support::WaitQueue;

constexpr int kSmallBuffer = 4096;  // SO_SNDBUF / SO_RCVBUF: the kernel holds little for us

// What the connection's handler saw. Echoes text when asked.
struct Seen {
  WaitQueue<std::string> messages;
  WaitQueue<int> closed;
  bool echo = false;
};

class RecordingHandler final : public WsHandler {
 public:
  explicit RecordingHandler(Seen& seen) : seen_(seen) {}
  void on_open(Transport transport) override { transport_ = transport; }
  void on_message(ws::Opcode, std::string_view payload) override {
    seen_.messages.push(std::string(payload));
    if (seen_.echo) transport_.send_text(payload);
  }
  void on_closed() override { seen_.closed.push(1); }

 private:
  Seen& seen_;
  Transport transport_;
};

// The client end: raw frames over a blocking socket, plain or TLS, reads bounded by a receive
// timeout. It splits what the server sends into frames itself (unmasked, unfragmented: all the
// server sends here), so it sees every byte, even after a close frame.
class Client {
 public:
  struct Event {
    ws::Opcode op;
    std::string payload;
    bool compressed = false;  // RSV1: the payload is DEFLATE bytes (permessage-deflate)
  };

  explicit Client(std::uint16_t port) : socket_(io_) {
    socket_.open(tcp::v4());
    socket_.set_option(tcp::socket::receive_buffer_size(kSmallBuffer));
    timeval tv{5, 0};  // the deadline of every read
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (tls_) SSL_CTX_free(tls_);
  }
  // From now on over TLS: the handshake (its reads bounded by the receive timeout), verifying the
  // server's certificate against ca_file. Throws when the handshake fails.
  void start_tls(const std::string& ca_file) {
    tls_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(tls_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_options(tls_, SSL_OP_IGNORE_UNEXPECTED_EOF);  // the server ends with a FIN, no close_notify
    if (SSL_CTX_load_verify_locations(tls_, ca_file.c_str(), nullptr) != 1) throw std::runtime_error("bad CA file");
    ssl_ = SSL_new(tls_);
    SSL_set_fd(ssl_, socket_.native_handle());
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake failed");
  }
  SSL* tls() const { return ssl_; }

  void send(ws::Opcode op, std::string_view payload) { write(ws::encode_masked_frame(op, payload, 0x12345678)); }
  // A message compressed as permessage-deflate sends it (RSV1 set).
  void send_compressed(ws::Opcode op, std::string_view payload) {
    std::string deflated;
    ws::thread_deflater().compress(payload, deflated);
    std::string frame = ws::encode_masked_frame(op, deflated, 0x12345678);
    frame[0] = static_cast<char>(frame[0] | ws::kRsv1);
    write(frame);
  }
  void send_close(ws::CloseCode code, std::string_view reason) { write(ws::encode_close(code, reason, true)); }
  void write(const std::string& bytes) {
    if (!ssl_) return static_cast<void>(boost::asio::write(socket_, boost::asio::buffer(bytes)));
    for (std::size_t done = 0; done < bytes.size();) {
      int n = SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done));
      if (n <= 0) throw std::runtime_error("TLS write failed");
      done += static_cast<std::size_t>(n);
    }
  }

  // The next message or control frame from the server; throws at EOF or after the deadline.
  Event next(const std::string& what) {
    while (events_.empty()) {
      if (!read_more()) throw std::runtime_error("no " + what + ": " + (eof_ ? "EOF" : "timed out"));
    }
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  // True when the server ends the stream (after every frame it sent has been read).
  bool at_eof() {
    while (events_.empty() && !eof_)
      if (!read_more()) break;
    return events_.empty() && eof_;
  }

 private:
  // recv() itself (or SSL_read over it), not Asio's read: Asio waits again when SO_RCVTIMEO
  // expires. Bytes read, 0 at EOF, -1 on timeout or error.
  long receive(std::uint8_t* buffer, std::size_t size) {
    if (!ssl_) return ::recv(socket_.native_handle(), buffer, size, 0);
    int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    if (n > 0) return n;
    return SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN ? 0 : -1;
  }
  bool read_more() {
    std::uint8_t buffer[16384];
    long n = receive(buffer, sizeof buffer);
    if (n == 0) eof_ = true;
    if (n <= 0) return false;
    pending_.append(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
    while (split_frame()) {
    }
    return true;
  }
  // Takes one whole frame off pending_ into events_; false when none is complete.
  bool split_frame() {
    if (pending_.size() < 2) return false;
    const auto* b = reinterpret_cast<const std::uint8_t*>(pending_.data());
    if (!(b[0] & 0x80) || (b[1] & 0x80)) throw std::runtime_error("the server sent a fragmented or masked frame");
    std::size_t header = 2, length = b[1] & 0x7f;
    if (length >= 126) {
      std::size_t bytes = length == 126 ? 2 : 8;
      if (pending_.size() < 2 + bytes) return false;
      length = 0;
      for (std::size_t i = 0; i < bytes; ++i) length = (length << 8) | b[2 + i];
      header += bytes;
    }
    if (pending_.size() < header + length) return false;
    events_.push_back({static_cast<ws::Opcode>(b[0] & 0x0f), pending_.substr(header, length), (b[0] & ws::kRsv1) != 0});
    pending_.erase(0, header + length);
    return true;
  }
  boost::asio::io_context io_;
  tcp::socket socket_;
  SSL_CTX* tls_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string pending_;  // bytes of a frame not complete yet
  std::deque<Event> events_;
  bool eof_ = false;
};

// The message a compressed frame's payload inflates to.
std::string inflated(const Client::Event& e) {
  std::string out;
  EXPECT_TRUE(e.compressed);
  EXPECT_EQ(ws::thread_inflater().inflate(e.payload, 1 << 24, out), ws::InflateResult::ok);
  return out;
}

// A text that compresses well, as presence states and diffs do.
std::string repetitive_text(std::size_t size) {
  std::string out;
  for (int i = 0; out.size() < size; ++i) out += R"({"user":"user-)" + std::to_string(i % 50) + R"(","online_at":1700000000},)";
  return out.substr(0, size);
}

// The close code and reason of a close frame's payload.
std::pair<int, std::string> close_of(const Client::Event& e) {
  EXPECT_EQ(e.op, ws::Opcode::close);
  if (e.payload.size() < 2) return {0, ""};
  int code = (static_cast<unsigned char>(e.payload[0]) << 8) | static_cast<unsigned char>(e.payload[1]);
  return {code, e.payload.substr(2)};
}

class WsConnectionTest : public ::testing::Test {
 protected:
  WsConnectionTest() : reactors_(1) {}
  ~WsConnectionTest() override {
    if (!net_) return;
    run_on(reactor(), [&] { return connection_.reset(), 0; });
    reactors_.stop();
    reactors_.join();
  }
  Reactor& reactor() { return reactors_.at(0); }

  // A connected pair: the server end started as a WsConnection on the reactor; deflate: as
  // when the upgrade negotiated permessage-deflate.
  Client& open(bool deflate = false) {
    int fd = connect();
    run_on(reactor(), [&] {
      start(std::make_shared<WsConnection>(reactor(), *net_, tcp::socket(reactor().context(), tcp::v4(), fd)), deflate);
      return 0;
    });
    return *client_;
  }
  // The same over TLS: the server end makes the handshake on the reactor (as the HTTP session
  // does before the upgrade) with a throwaway certificate, which the client verifies.
  Client& open_tls() {
    test_support::CertFiles files = test_support::make_throwaway_cert(certs_, "server");
    std::string error;
    auto context = make_tls_context(files.cert, files.key, error);
    if (!context) throw std::runtime_error(error);
    int fd = connect();
    auto handshakes = std::make_shared<WaitQueue<boost::system::error_code>>();
    run_on(reactor(), [&] {
      auto stream = std::make_shared<TlsStream>(tcp::socket(reactor().context(), tcp::v4(), fd), *context);
      stream->async_handshake(TlsStream::server, [this, stream, handshakes](boost::system::error_code ec) {
        if (ec) return handshakes->push(ec);
        reactor().post([this, stream, handshakes] {  // the stream moves on once its handshake has returned
          start(std::make_shared<WsConnection>(reactor(), *net_, std::make_unique<TlsSocket>(std::move(*stream))));
          handshakes->push({});
        });
      });
      return 0;
    });
    client_->start_tls(files.cert);
    if (auto ec = handshakes->next("the server's end of the TLS handshake")) throw boost::system::system_error(ec);
    return *client_;
  }
  // Runs fn(connection) on the reactor.
  template <class Fn>
  auto server(Fn fn) {
    return run_on(reactor(), [&] { return fn(*connection_); });
  }
  // The test lets go of the connection: from now on only its own pending operations hold it.
  std::weak_ptr<WsConnection> release() {
    return run_on(reactor(), [&] { return std::weak_ptr<WsConnection>(std::exchange(connection_, nullptr)); });
  }
  void send_texts(int count, std::size_t size) {
    server([&](WsConnection& c) {
      for (int i = 0; i < count; ++i) c.send_text(std::string(size, static_cast<char>('a' + i % 26)));
      return 0;
    });
  }
  // Waits (deadline) until the server has queued n frames in all.
  bool frames_out(std::uint64_t n) {
    return eventually([&] { return net_->metrics.hot[0].frames_out.load() >= n; });
  }
  std::uint64_t writes() const { return net_->metrics.hot[0].writes.load(); }

  Config config_;
  ReactorSet reactors_;
  std::unique_ptr<NetContext> net_;
  std::unique_ptr<Client> client_;
  std::shared_ptr<WsConnection> connection_;  // reactor only
  Seen seen_;
  test_support::TempDir certs_{"cohort-ws-connection"};

 private:
  // Starts the reactor and connects a client; the accepted socket's fd, its send buffer small.
  int connect() {
    net_ = std::make_unique<NetContext>(config_);
    net_->registries.push_back(std::make_unique<WsRegistry>(reactor(), std::chrono::microseconds(config_.flush_interval_us)));
    reactors_.start();
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    client_ = std::make_unique<Client>(acceptor.local_endpoint().port());
    tcp::socket accepted = acceptor.accept();
    accepted.set_option(tcp::socket::send_buffer_size(kSmallBuffer));
    return accepted.release();
  }
  // On the reactor.
  void start(std::shared_ptr<WsConnection> c, bool deflate = false) {
    connection_ = std::move(c);
    connection_->start(std::make_unique<RecordingHandler>(seen_), "", deflate);
  }
};

TEST_F(WsConnectionTest, MessagesGoBothWays) {
  seen_.echo = true;
  Client& c = open();
  c.send(ws::Opcode::text, "hello");
  EXPECT_EQ(seen_.messages.next("the message"), "hello");
  Client::Event back = c.next("the echo");
  EXPECT_EQ(back.op, ws::Opcode::text);
  EXPECT_EQ(back.payload, "hello");
  EXPECT_TRUE(server([](WsConnection& s) { return s.is_open(); }));
}

TEST_F(WsConnectionTest, APingIsAnsweredWithItsPayloadAndAPongIsOnlyActivity) {
  Client& c = open();
  c.send(ws::Opcode::pong, "unsolicited");
  c.send(ws::Opcode::ping, "abc");
  Client::Event pong = c.next("the pong");
  EXPECT_EQ(pong.op, ws::Opcode::pong) << "nothing answers the client's pong";
  EXPECT_EQ(pong.payload, "abc");
  EXPECT_EQ(seen_.messages.size(), 0u) << "control frames never reach the handler";
}

TEST_F(WsConnectionTest, WhileAWriteIsStuckManyPingsLeaveOnePongTheLatest) {
  Client& c = open();
  constexpr int kTexts = 32, kPings = 50;
  send_texts(kTexts, 16 * 1024);  // 512 KiB: far more than the small socket buffers hold
  for (int i = 0; i < kPings; ++i) c.send(ws::Opcode::ping, "ping-" + std::to_string(i));
  ASSERT_TRUE(frames_out(kTexts + kPings)) << "the server took every ping";

  // A last text queued behind them marks the end of what the pings caused.
  server([](WsConnection& s) { return s.send_text("end"), 0; });
  int texts = 0;
  std::vector<std::string> pongs;
  for (Client::Event e = c.next("the queued texts and pongs"); e.op != ws::Opcode::text || e.payload != "end";
       e = c.next("the last text")) {
    if (e.op == ws::Opcode::pong) pongs.push_back(e.payload);
    else texts += e.op == ws::Opcode::text;
  }
  EXPECT_EQ(texts, kTexts);
  ASSERT_EQ(pongs.size(), 1u) << "one pong queued at a time";
  EXPECT_EQ(pongs[0], "ping-" + std::to_string(kPings - 1)) << "answering the latest ping";
  EXPECT_TRUE(server([](WsConnection& s) { return s.is_open(); }));
}

TEST_F(WsConnectionTest, AQueuePastTheLimitClosesWith1008) {
  config_.outbound_queue_limit = 256 * 1024;
  Client& c = open();
  send_texts(8, 16 * 1024);  // 128 KiB: the first write, stuck since the client reads nothing
  EXPECT_TRUE(server([](WsConnection& s) { return s.is_open(); }));
  send_texts(8, 16 * 1024);  // another 128 KiB queued behind it: past 256 KiB
  EXPECT_FALSE(server([](WsConnection& s) { return s.is_open(); }));
  EXPECT_EQ(net_->metrics.slow_consumer_closes.load(), 1u);
  EXPECT_EQ(seen_.closed.next("on_closed"), 1);

  int texts = 0;
  Client::Event e = c.next("what was written before the close");
  for (; e.op == ws::Opcode::text; e = c.next("the close frame")) ++texts;
  EXPECT_LE(texts, 8) << "what was queued behind the stuck write was dropped";
  auto [code, reason] = close_of(e);
  EXPECT_EQ(code, 1008);
  EXPECT_EQ(reason, "outbound queue full: client too slow");
  EXPECT_TRUE(c.at_eof());
  EXPECT_EQ(seen_.closed.size(), 0u) << "on_closed once";
}

TEST_F(WsConnectionTest, AClientThatReadsGetsMoreThanTheLimitInAll) {
  config_.outbound_queue_limit = 256 * 1024;
  Client& c = open();
  for (int round = 0; round < 6; ++round) {  // 384 KiB in all, 64 KiB at a time
    send_texts(4, 16 * 1024);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(c.next("a text").op, ws::Opcode::text);
  }
  EXPECT_TRUE(server([](WsConnection& s) { return s.is_open(); }));
  EXPECT_EQ(net_->metrics.slow_consumer_closes.load(), 0u);
}

TEST_F(WsConnectionTest, PingsPastTheMessageRateGetNoPongAndThenA1008) {
  config_.socket_messages_per_s = 1;
  config_.socket_message_burst = 2;
  Client& c = open();
  for (int i = 0; i < 10; ++i) c.send(ws::Opcode::ping, std::to_string(i));
  // Pings 0 and 1 spend the burst (a pong still queued may be replaced by the next one's).
  std::vector<std::string> pongs;
  Client::Event e = c.next("the pongs");
  for (; e.op == ws::Opcode::pong; e = c.next("the close")) pongs.push_back(e.payload);
  ASSERT_FALSE(pongs.empty());
  EXPECT_LE(pongs.size(), 2u);
  EXPECT_EQ(pongs.back(), "1") << "no pong for a ping past the burst";
  auto [code, reason] = close_of(e);
  EXPECT_EQ(code, 1008);
  EXPECT_NE(reason.find("rate limit exceeded"), std::string::npos) << reason;
  EXPECT_GE(net_->metrics.limits.refusals_of(Limit::socket_messages), 1u);
  EXPECT_EQ(net_->metrics.limits.closes_of(Limit::socket_messages), 1u);
}

TEST_F(WsConnectionTest, APeersCloseIsEchoedThenTheStreamEndsAndNothingMoreIsDelivered) {
  Client& c = open();
  c.send_close(ws::CloseCode::normal, "bye");
  c.send(ws::Opcode::text, "after the close");
  auto [code, reason] = close_of(c.next("the echoed close"));
  EXPECT_EQ(code, 1000) << "the peer's status echoed";
  EXPECT_EQ(reason, "");
  EXPECT_TRUE(c.at_eof()) << "the server half-closes after its close frame";
  EXPECT_EQ(seen_.closed.next("on_closed"), 1);
  EXPECT_EQ(seen_.messages.size(), 0u) << "nothing after the close frame reaches the handler";
}

TEST_F(WsConnectionTest, OurCloseStopsMessagesBothWaysAndHalfClosesTheStream) {
  Client& c = open();
  server([](WsConnection& s) {
    s.close(ws::CloseCode::going_away, "restarting");
    s.send_text("too late");  // in the same turn: it would leave in the same write
    return 0;
  });
  EXPECT_EQ(seen_.closed.next("on_closed"), 1) << "told at once, not at the end of the handshake";
  auto [code, reason] = close_of(c.next("our close"));
  EXPECT_EQ(code, 1001);
  EXPECT_EQ(reason, "restarting");
  c.send(ws::Opcode::text, "too late too");
  c.send_close(ws::CloseCode::going_away, "");
  EXPECT_TRUE(c.at_eof()) << "the stream ends; no message after our close";
  EXPECT_EQ(seen_.messages.size(), 0u);
  EXPECT_EQ(seen_.closed.size(), 0u);
}

TEST_F(WsConnectionTest, AnIdleConnectionIsClosedBySweep) {
  config_.idle_timeout_ms = 1000;
  Client& c = open();
  server([](WsConnection& s) { return s.sweep(Clock::now() + 500ms), 0; });
  EXPECT_TRUE(server([](WsConnection& s) { return s.is_open(); })) << "not idle long enough";
  server([](WsConnection& s) { return s.sweep(Clock::now() + 1500ms), 0; });
  auto [code, reason] = close_of(c.next("the idle close"));
  EXPECT_EQ(code, 1001);
  EXPECT_EQ(reason, "idle timeout");
}

TEST_F(WsConnectionTest, FramesQueuedBeforeOurCloseLeaveBeforeTheCloseFrame) {
  Client& c = open();
  send_texts(8, 16 * 1024);  // 128 KiB: one write, stuck since the client reads nothing yet
  server([](WsConnection& s) {
    s.send_text("last");  // queued behind the stuck write
    s.close(ws::CloseCode::going_away, "restarting");
    return 0;
  });
  EXPECT_EQ(seen_.closed.next("on_closed"), 1);
  for (int i = 0; i < 8; ++i) {
    Client::Event e = c.next("a text queued before the close");
    ASSERT_EQ(e.op, ws::Opcode::text);
    EXPECT_EQ(e.payload, std::string(16 * 1024, static_cast<char>('a' + i))) << "in order, whole";
  }
  Client::Event last = c.next("the text queued behind the stuck write");
  EXPECT_EQ(last.op, ws::Opcode::text);
  EXPECT_EQ(last.payload, "last");
  auto [code, reason] = close_of(c.next("our close, after everything queued before it"));
  EXPECT_EQ(code, 1001);
  EXPECT_EQ(reason, "restarting");
  EXPECT_TRUE(c.at_eof());
}

TEST_F(WsConnectionTest, APeerThatNeverAnswersOurCloseIsDroppedAtTheHandshakeDeadline) {
  Client& c = open();
  const auto before = Clock::now();
  server([](WsConnection& s) { return s.close(ws::CloseCode::going_away, "bye"), 0; });
  const auto after = Clock::now();
  EXPECT_EQ(close_of(c.next("our close")).first, 1001);
  EXPECT_TRUE(c.at_eof()) << "half-closed; the client never answers";
  EXPECT_EQ(seen_.closed.next("on_closed"), 1);

  std::weak_ptr<WsConnection> weak = release();
  WsRegistry& registry = *net_->registries[0];
  run_on(reactor(), [&] { return registry.sweep(before + WsConnection::kCloseHandshakeTimeout - 1ms), 0; });
  run_on(reactor(), [] { return 0; });  // a barrier: whatever the sweep posted has run
  EXPECT_FALSE(weak.expired()) << "before the deadline its socket stays open, waiting for the peer's close";
  EXPECT_EQ(net_->metrics.websockets_open.load(), 1);

  run_on(reactor(), [&] { return registry.sweep(after + WsConnection::kCloseHandshakeTimeout + 1ms), 0; });
  EXPECT_TRUE(eventually([&] { return weak.expired(); }))
      << "past the deadline the socket is closed and its pending read ends, freeing it";
  EXPECT_EQ(net_->metrics.websockets_open.load(), 0);
  EXPECT_EQ(seen_.closed.size(), 0u) << "on_closed once";
}

TEST_F(WsConnectionTest, OverTlsLargeMessagesGoBothWaysAndQueuedFramesLeaveInOneWrite) {
  seen_.echo = true;
  Client& c = open_tls();
  EXPECT_EQ(SSL_get_verify_result(c.tls()), X509_V_OK) << "the server presented the test's certificate";
  c.send(ws::Opcode::text, "hello");
  EXPECT_EQ(seen_.messages.next("the message"), "hello");
  EXPECT_EQ(c.next("the echo").payload, "hello");

  // 100 KB: several TLS records, far more than the 64-byte inbox; read through the drain of what
  // OpenSSL decrypted, written back as one buffer.
  const std::string big = repetitive_text(100 * 1000);
  c.send(ws::Opcode::text, big);
  EXPECT_EQ(seen_.messages.next("the large message"), big);
  Client::Event back = c.next("the large echo");
  EXPECT_EQ(back.op, ws::Opcode::text);
  EXPECT_EQ(back.payload, big);

  const std::uint64_t before = writes();
  server([](WsConnection& s) {
    for (auto text : {"one", "two", "three"}) s.send_text(text);
    return 0;
  });
  for (auto text : {"one", "two", "three"}) EXPECT_EQ(c.next(text).payload, text);
  EXPECT_EQ(writes() - before, 1u) << "frames queued in one turn leave in one write";

  server([](WsConnection& s) { return s.close(ws::CloseCode::going_away, "restarting"), 0; });
  auto [code, reason] = close_of(c.next("our close over TLS"));
  EXPECT_EQ(code, 1001);
  EXPECT_EQ(reason, "restarting");
  EXPECT_TRUE(c.at_eof());
  EXPECT_EQ(seen_.closed.next("on_closed"), 1);
}

TEST_F(WsConnectionTest, WithDeflateLargeMessagesGoCompressedBothWaysAndSmallOnesPlain) {
  seen_.echo = true;
  Client& c = open(/*deflate=*/true);
  const std::string big = repetitive_text(4000);
  c.send_compressed(ws::Opcode::text, big);
  EXPECT_EQ(seen_.messages.next("the compressed message, inflated"), big);
  Client::Event echo = c.next("the echo");
  EXPECT_LT(echo.payload.size(), big.size() / 4) << "compressed on the way out";
  EXPECT_EQ(inflated(echo), big);

  c.send(ws::Opcode::text, "hi");  // an uncompressed message is fine too
  EXPECT_EQ(seen_.messages.next("the plain message"), "hi");
  Client::Event small = c.next("the small echo");
  EXPECT_FALSE(small.compressed) << "under deflate_min_bytes: sent as it is";
  EXPECT_EQ(small.payload, "hi");

  // A broadcast frame is shared and plain; this socket gets it compressed.
  const std::string news = repetitive_text(config_.deflate_min_bytes);
  server([&](WsConnection& s) {
    return s.send(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::text, news)), true), 0;
  });
  EXPECT_EQ(inflated(c.next("the broadcast")), news);
  EXPECT_TRUE(server([](WsConnection& s) { return s.is_open(); }));
}

TEST_F(WsConnectionTest, ACompressedMessageWithoutDeflateIsClosedWith1002) {
  Client& c = open();
  c.send_compressed(ws::Opcode::text, "hello");
  auto [code, reason] = close_of(c.next("the protocol error"));
  EXPECT_EQ(code, 1002);
  EXPECT_EQ(reason, "reserved bits set");
  EXPECT_EQ(net_->metrics.protocol_closes.load(), 1u);
  EXPECT_EQ(seen_.closed.next("on_closed"), 1);
  EXPECT_EQ(seen_.messages.size(), 0u) << "nothing delivered";
}

}  // namespace
}  // namespace cohort::net
