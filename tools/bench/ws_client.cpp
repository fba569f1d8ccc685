// ws_client.cpp — one client connection: see ws_client.hpp.
#include "ws_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>

#include "bench_clock.hpp"
#include "client_loop.hpp"
#include "ws_handshake.hpp"

namespace cohort::bench {

namespace ws = net::ws;
using boost::system::error_code;

namespace {

// Largest message accepted from the server (a presence_state of a big topic can be large).
constexpr std::size_t kMaxMessage = 16 * 1024 * 1024;
// 64 KB reads in a row before yielding to the loop's other connections.
constexpr int kReadsPerTurn = 8;
// An idle connection keeps write buffers up to this size; larger ones are freed after use.
constexpr std::size_t kKeptBufferCapacity = 4096;

std::string ref_text(std::uint64_t ref) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ref);
  return std::string(buf, end);
}

void shrink(std::string& s) {
  if (s.capacity() > kKeptBufferCapacity) std::string().swap(s);
  else s.clear();
}

// One client context for every TLS connection of the run (SSL_CTX is safe to share between
// threads once set up). No verification: see ws_client.hpp.
boost::asio::ssl::context& tls_client_context() {
  static boost::asio::ssl::context ctx = [] {
    boost::asio::ssl::context c(boost::asio::ssl::context::tls_client);
    c.set_verify_mode(boost::asio::ssl::verify_none);
    SSL_CTX_set_min_proto_version(c.native_handle(), TLS1_2_VERSION);
    return c;
  }();
  return ctx;
}

}  // namespace

struct TlsLayer {
  explicit TlsLayer(boost::asio::ip::tcp::socket& socket) : stream(socket, tls_client_context()) {}
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> stream;
};

Connection::Connection(ClientLoop& loop, std::uint32_t index, std::uint32_t slot, ConnectionEvents& events,
                       std::size_t wake_size)
    : loop_(loop), events_(events), socket_(loop.io), reader_(kMaxMessage, /*expect_masked=*/false),
      wake_buffer_(new std::uint8_t[wake_size]), wake_size_(wake_size), index_(index), slot_(slot) {}

Connection::~Connection() = default;

void Connection::start(const WsTarget& target) {
  target_ = &target;
  state_ = State::connecting;
  started_ns_ = steady_ns();
  key_ = make_ws_key(loop_.random64(), loop_.random64());
  out_ = upgrade_request(target, key_);
  boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(target.address), target.port);
  socket_.async_connect(endpoint, [this](const error_code& ec) { on_connect(ec); });
}

void Connection::on_connect(const error_code& ec) {
  if (state_ == State::closed) return;
  if (ec) return fail("cannot connect to " + target_->host_header + ": " + ec.message());
  error_code ignored;
  socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);
  if (!target_->tls) return on_transport_ready();
  tls_ = std::make_unique<TlsLayer>(socket_);
  tls_->stream.async_handshake(boost::asio::ssl::stream_base::client, [this](const error_code& ec) {
    if (state_ == State::closed) return;
    if (ec) return fail("TLS handshake with " + target_->host_header + ": " + ec.message());
    on_transport_ready();
  });
}

void Connection::on_transport_ready() {
  state_ = State::upgrading;
  do_write();
  do_read();
}

void Connection::join(std::string_view topic, std::string_view params) {
  if (state_ != State::open) return;
  topic_ = std::string(topic);
  join_ref_ = ref_text(next_ref_++);
  state_ = State::joining;
  loop_.scratch.clear();
  append_frame(loop_.scratch, join_ref_, join_ref_, topic_, "phx_join", params);
  send_frame(ws::Opcode::text, loop_.scratch);
}

std::uint64_t Connection::push(std::string_view event, std::string_view payload) {
  std::uint64_t ref = next_ref_++;
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ref);
  loop_.scratch.clear();
  append_frame(loop_.scratch, join_ref_, std::string_view(buf, end - buf), topic_, event, payload);
  send_frame(ws::Opcode::text, loop_.scratch);
  return ref;
}

void Connection::send_heartbeat() {
  if (state_ != State::open && state_ != State::joining && state_ != State::joined) return;
  std::string ref = ref_text(next_ref_++);
  loop_.scratch.clear();
  append_frame(loop_.scratch, "", ref, "phoenix", "heartbeat", "{}");
  send_frame(ws::Opcode::text, loop_.scratch);
}

void Connection::close() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  error_code ignored;
  socket_.close(ignored);
  release_buffers();
}

void Connection::fail(std::string why) {
  if (state_ == State::closed) return;
  close();
  events_.on_failed(*this, why);
}

void Connection::release_buffers() {
  if (!writing_) std::string().swap(inflight_);  // a write in flight still reads it
  std::string().swap(out_);
  std::string().swap(handshake_);
  std::string().swap(key_);
}

// ---- reading ----------------------------------------------------------------------------------

void Connection::do_read() {
  auto done = [this](const error_code& ec, std::size_t len) { on_read(ec, len); };
  if (tls_) tls_->stream.async_read_some(boost::asio::buffer(wake_buffer_.get(), wake_size_), std::move(done));
  else socket_.async_read_some(boost::asio::buffer(wake_buffer_.get(), wake_size_), std::move(done));
}

void Connection::on_read(const error_code& ec, std::size_t len) {
  if (state_ == State::closed) return;
  if (ec == boost::asio::error::eof || ec == boost::asio::ssl::error::stream_truncated)
    return fail("server closed the connection");
  if (ec) return fail("read: " + ec.message());
  loop_.now_ns = steady_ns();
  if (!consume(wake_buffer_.get(), len)) return;
  if (tls_) {
    // What OpenSSL decrypted already is read now; the rest comes with the next small read.
    while (SSL_pending(tls_->stream.native_handle()) > 0) {
      error_code e;
      std::size_t n = tls_->stream.read_some(boost::asio::buffer(loop_.read_buffer), e);
      if (e) return fail("read: " + e.message());
      if (!consume(loop_.read_buffer.data(), n)) return;
    }
    return do_read();
  }
  if (len < wake_size_) return do_read();  // a short read: the socket is drained
  drain();
}

// Reads 64 KB at a time until a short read, then arms the small read again; yields to the
// loop's other connections after kReadsPerTurn reads.
void Connection::drain() {
  for (int reads = 0; reads < kReadsPerTurn; ++reads) {
    error_code ec;
    std::size_t n = socket_.read_some(boost::asio::buffer(loop_.read_buffer), ec);
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) return do_read();
    if (ec == boost::asio::error::eof) return fail("server closed the connection");
    if (ec) return fail("read: " + ec.message());
    loop_.now_ns = steady_ns();
    if (!consume(loop_.read_buffer.data(), n)) return;
    if (n < loop_.read_buffer.size()) return do_read();
  }
  boost::asio::post(loop_.io, [this] {
    if (state_ != State::closed) drain();
  });
}

bool Connection::consume(std::uint8_t* data, std::size_t len) {
  if (state_ == State::upgrading) return consume_handshake(data, len);
  return feed(data, len);
}

bool Connection::consume_handshake(const std::uint8_t* data, std::size_t len) {
  handshake_.append(reinterpret_cast<const char*>(data), len);
  std::size_t head_len = 0;
  std::string why;
  switch (check_upgrade_response(handshake_, key_, head_len, why, target_->offer_deflate, &deflate_)) {
    case HeadStatus::incomplete:
      return true;
    case HeadStatus::refused:
      fail(why);
      return false;
    case HeadStatus::upgraded:
      break;
  }
  if (deflate_) {
    reader_.enable_deflate();
    ++loop_.deflate_conns;
  }
  std::string rest = handshake_.substr(head_len);  // frames that came with the head
  std::string().swap(handshake_);
  std::string().swap(key_);
  state_ = State::open;
  events_.on_open(*this);
  if (state_ == State::closed) return false;
  return rest.empty() || feed(reinterpret_cast<std::uint8_t*>(rest.data()), rest.size());
}

bool Connection::feed(std::uint8_t* data, std::size_t len) {
  loop_.bytes_in += len;
  if (!reader_.feed(data, len, *this)) {
    fail("bad WebSocket data from the server: " + std::string(reader_.error().reason));
    return false;
  }
  return state_ != State::closed;
}

void Connection::on_message(ws::Opcode op, std::string_view payload) {
  if (state_ == State::closed || op != ws::Opcode::text) return;  // binary frames: not the bench's
  on_text(payload, 0);
}

bool Connection::on_deflated_message(ws::Opcode op, std::string_view deflated) {
  if (op != ws::Opcode::text) return false;  // the reader inflates it (and on_message drops it)
  if (state_ == State::closed) return true;
  InflateCache::Text t = loop_.inflate_cache.lookup(deflated, kMaxMessage);
  if (!t.text) {
    fail("bad compressed message from the server (not DEFLATE, too big or not UTF-8)");
    return true;
  }
  on_text(*t.text, t.digest);
  return true;
}

void Connection::on_text(std::string_view payload, std::uint64_t digest) {
  PhxFrame frame;
  frame.digest = digest;
  if (!scan_frame(payload, frame))
    return fail("not a Phoenix V2 frame: " + std::string(payload.substr(0, 200)));
  if (frame.topic == "phoenix") return;  // heartbeat replies
  if (state_ == State::joining && frame.event == "phx_reply" && !frame.ref_null && frame.ref == join_ref_)
    return on_join_reply(frame);
  if ((frame.event == "phx_error" || frame.event == "phx_close") && !frame.join_ref_null &&
      frame.join_ref == join_ref_ && frame.topic == topic_)
    return fail("the server ended channel " + topic_ + " (" + std::string(frame.event) + " " +
                std::string(frame.payload.substr(0, 200)) + ")");
  events_.on_frame(*this, frame);
}

void Connection::on_join_reply(const PhxFrame& frame) {
  std::string why;
  if (!reply_is_ok(frame.payload, why)) return fail("join of " + topic_ + " refused by the server: " + why);
  state_ = State::joined;
  was_joined_ = true;
  events_.on_join_reply(*this, frame);
  if (state_ != State::joined) return;  // the owner closed it
  events_.on_joined(*this);
}

void Connection::on_control(ws::Opcode op, std::string_view payload) {
  if (op == ws::Opcode::ping) return send_frame(ws::Opcode::pong, payload);
  if (op != ws::Opcode::close) return;
  unsigned code = payload.size() >= 2 ? (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]) : 1005;
  std::string reason(payload.size() > 2 ? payload.substr(2) : std::string_view());
  fail("the server closed the WebSocket (code " + std::to_string(code) + (reason.empty() ? "" : ", " + reason) + ")");
}

// ---- writing ----------------------------------------------------------------------------------

void Connection::send_frame(ws::Opcode op, std::string_view payload) {
  if (state_ == State::closed) return;
  std::uint64_t key = loop_.random64();
  std::uint8_t mask[4];
  std::memcpy(mask, &key, 4);
  std::uint8_t header[ws::kMaxHeaderSize];
  std::size_t h = ws::write_header(header, op, payload.size(), /*fin=*/true, mask);
  std::size_t at = out_.size();
  out_.append(reinterpret_cast<const char*>(header), h);
  out_.append(payload);
  ws::apply_mask(reinterpret_cast<std::uint8_t*>(out_.data() + at + h), payload.size(), mask, 0);
  schedule_flush();
}

// Frames sent during one handler go out in one write, after the handler returns.
void Connection::schedule_flush() {
  if (writing_ || flush_posted_) return;
  flush_posted_ = true;
  boost::asio::post(loop_.io, [this] {
    flush_posted_ = false;
    do_write();
  });
}

void Connection::do_write() {
  if (writing_ || out_.empty() || state_ == State::closed) return;
  writing_ = true;
  inflight_.swap(out_);
  auto done = [this](const error_code& ec, std::size_t) { on_write(ec); };
  if (tls_) boost::asio::async_write(tls_->stream, boost::asio::buffer(inflight_), std::move(done));
  else boost::asio::async_write(socket_, boost::asio::buffer(inflight_), std::move(done));
}

void Connection::on_write(const error_code& ec) {
  writing_ = false;
  if (state_ == State::closed) {
    std::string().swap(inflight_);
    return;
  }
  if (ec) return fail("write: " + ec.message());
  shrink(inflight_);
  do_write();
}

}  // namespace cohort::bench
