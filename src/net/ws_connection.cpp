// ws_connection.cpp — one WebSocket connection: see ws_connection.hpp.
#include "net/ws_connection.hpp"

#include "log/log.hpp"

#include <openssl/ssl.h>

#include <boost/asio/write.hpp>
#include <limits>
#include <span>

#include "net/tls.hpp"
#include "net/transport.hpp"
#include "net/ws_deflate.hpp"

namespace cohort::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
// Queues that grew past this many entries give their memory back once drained.
constexpr std::size_t kKeepQueueCapacity = 16;
// The TLS write buffer keeps up to this much capacity between writes.
constexpr std::size_t kKeepTlsBuffer = 16 * 1024;

void trim(std::vector<Frame>& v) {
  v.clear();
  if (v.capacity() > kKeepQueueCapacity) std::vector<Frame>().swap(v);
}
}  // namespace

NetContext::NetContext(const Config& c)
    : config(c),
      addresses(AddressLimits::Settings{c.ip_max_connections, static_cast<double>(c.ip_connections_per_s),
                                        static_cast<double>(c.ip_connection_burst)}) {}
NetContext::~NetContext() = default;

WsConnection::WsConnection(Reactor& reactor, NetContext& net, asio::ip::tcp::socket socket)
    : reactor_(reactor),
      net_(net),
      socket_(std::move(socket)),
      reader_(net.config.max_frame, /*expect_masked=*/true),
      queued_bytes_(net.metrics.hot[reactor.index()].outbound_bytes),
      last_activity_(Clock::now()) {
  net_.metrics.websockets_open.fetch_add(1, std::memory_order_relaxed);
}

WsConnection::WsConnection(Reactor& reactor, NetContext& net, std::unique_ptr<TlsSocket> tls)
    : reactor_(reactor),
      net_(net),
      socket_(reactor.context()),
      tls_(std::move(tls)),
      reader_(net.config.max_frame, /*expect_masked=*/true),
      queued_bytes_(net.metrics.hot[reactor.index()].outbound_bytes),
      last_activity_(Clock::now()) {
  net_.metrics.websockets_open.fetch_add(1, std::memory_order_relaxed);
}

WsConnection::~WsConnection() {
  if (access_) log_session_close(*access_);
  net_.metrics.websockets_open.fetch_sub(1, std::memory_order_relaxed);
  net_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void WsConnection::start(std::unique_ptr<WsHandler> handler, std::string leftover, bool deflate, AddressTicket ticket,
                         std::unique_ptr<SessionAccess> access) {
  handler_ = std::move(handler);
  access_ = std::move(access);
  deflate_ = deflate;
  ticket_ = std::move(ticket);
  // A client that ignores socket_message_burst refusals (overdraft) is closed: take_message().
  const auto& c = net_.config;
  messages_ = TokenBucket(c.socket_messages_per_s, c.socket_message_burst, Clock::now(), c.socket_message_burst);
  if (deflate_) reader_.enable_deflate();
  error_code ec;
  tcp().non_blocking(true, ec);
  tcp().set_option(asio::ip::tcp::no_delay(true), ec);
  net_.registries[reactor_.index()]->add(*this);
  handler_->on_open(Transport(*this));
  if (!leftover.empty() &&
      !reader_.feed(reinterpret_cast<std::uint8_t*>(leftover.data()), leftover.size(), *this)) {
    net_.metrics.protocol_closes.fetch_add(1, std::memory_order_relaxed);
    close(reader_.error().code, reader_.error().reason);
  }
  do_read();
}

// ---- reading -------------------------------------------------------------------------------

asio::ip::tcp::socket& WsConnection::tcp() { return tls_ ? tls_->stream.next_layer() : socket_; }

void WsConnection::do_read() {
  // A read (not a readiness wait): Asio re-arms a pending read without an epoll_ctl call,
  // which a wait costs on every wake-up.
  auto done = [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); };
  if (tls_) tls_->stream.async_read_some(asio::buffer(inbox_), std::move(done));
  else socket_.async_read_some(asio::buffer(inbox_), std::move(done));
}

void WsConnection::on_read(const error_code& read_ec, std::size_t n) {
  if (read_ec || state_ == State::closed) return finish();  // EOF, reset, or cancelled
  last_activity_ = Clock::now();
  reading_ = true;
  bool more = read_all(n);
  reading_ = false;
  // What the read's messages answered leaves now, in one write (see schedule_flush).
  if (flush_at_read_end_) {
    flush_at_read_end_ = false;
    flush_posted_ = false;
    do_write();
  }
  if (more && state_ != State::closed) do_read();
}

bool WsConnection::read_all(std::size_t n) {
  if (!consume(inbox_.data(), n)) return false;
  if (tls_) return n < inbox_.size() || drain_tls();
  // A full inbox means more may be waiting: drain it through the reactor's buffer.
  while (n == inbox_.size() && state_ != State::closed) {
    error_code ec;
    std::uint8_t* buffer = reactor_.read_buffer();
    n = socket_.read_some(asio::buffer(buffer, Reactor::kReadBufferSize), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      finish();
      return false;
    }
    if (!consume(buffer, n)) return false;
    if (n < Reactor::kReadBufferSize) break;
  }
  return true;
}

bool WsConnection::drain_tls() {
  // SSL_pending: bytes of the current record OpenSSL has decrypted and not yet handed out; a
  // read of them does no socket I/O. Records still encrypted are read by the next do_read.
  while (state_ != State::closed && SSL_pending(tls_->stream.native_handle()) > 0) {
    error_code ec;
    std::uint8_t* buffer = reactor_.read_buffer();
    std::size_t n = tls_->stream.read_some(asio::buffer(buffer, Reactor::kReadBufferSize), ec);
    if (ec) {
      finish();
      return false;
    }
    if (!consume(buffer, n)) return false;
  }
  return state_ != State::closed;
}

bool WsConnection::consume(std::uint8_t* data, std::size_t n) {
  // While closing, frames are still decoded so that the peer's close reply is seen.
  if (!reader_.failed() && !reader_.closed() && !reader_.feed(data, n, *this) && state_ == State::open) {
    net_.metrics.protocol_closes.fetch_add(1, std::memory_order_relaxed);
    close(reader_.error().code, reader_.error().reason);
  }
  return state_ != State::closed;
}

void WsConnection::on_message(ws::Opcode op, std::string_view payload) {
  if (state_ != State::open) return;
  bump(net_.metrics.hot[reactor_.index()].messages_in);
  if (access_) access_->received(payload.size());
  handler_->on_message(op, payload);
}

WsConnection::Admission WsConnection::take_message() {
  if (messages_.take(Clock::now())) return Admission::pass;
  if (!messages_.exhausted()) {
    net_.metrics.limits.refused(Limit::socket_messages);
    return Admission::refuse;
  }
  net_.metrics.limits.closed(Limit::socket_messages, peer_text());
  close(ws::CloseCode::policy_violation, "rate limit exceeded: too many messages per second");
  return Admission::close;
}

void WsConnection::on_control(ws::Opcode op, std::string_view payload) {
  if (op == ws::Opcode::ping) {
    if (state_ == State::open && take_message() == Admission::pass) queue_pong(payload);
    return;
  }
  if (op != ws::Opcode::close) return;  // a pong: activity only
  if (state_ == State::open) {
    // Echo the peer's status code (RFC 6455 5.5.1), then end.
    std::string body(payload.substr(0, 2));
    if (access_)  // 1005: a close frame without a code
      access_->closed(body.size() == 2 ? (static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]) : 1005,
                      "client");
    state_ = State::closing;
    close_deadline_ = Clock::now() + kCloseHandshakeTimeout;
    for (auto& f : queue_) queued_bytes_ -= cost_of(f);  // undelivered data is dropped
    queue_.clear();
    if (pong_) queued_bytes_ -= cost_of(std::exchange(pong_, nullptr));
    enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::close, body)));
    shutdown_after_write_ = true;
    notify_closed();
  } else if (state_ == State::closing && !writing_ && queue_.empty()) {
    finish();  // the peer answered our close: the handshake is complete
  }
}

// ---- writing -------------------------------------------------------------------------------

void WsConnection::send(Frame frame, bool broadcast) {
  if (state_ != State::open || !frame) return;
  if (queued_bytes_ + cost_of(frame) > net_.config.outbound_queue_limit) return overflow();
  if (access_) access_->bytes_out += frame->size();
  if (!broadcast) return enqueue(std::move(frame));
  if (frame->size() >= deflate_min()) frame = net_.registries[reactor_.index()]->deflated(frame);
  queued_bytes_ += cost_of(frame);
  queue_.push_back(std::move(frame));
  bump(net_.metrics.hot[reactor_.index()].frames_out);
  if (!in_round_ && !writing_ && !flush_posted_) {
    in_round_ = true;
    net_.registries[reactor_.index()]->join_round(shared_from_this());
  }
}

void WsConnection::flush_round() {
  in_round_ = false;
  do_write();
}

void WsConnection::send_text(std::string_view text) { send(encode(ws::Opcode::text, text)); }

void WsConnection::send_binary(std::string_view bytes) { send(encode(ws::Opcode::binary, bytes)); }

std::size_t WsConnection::deflate_min() const {
  return deflate_ ? net_.config.deflate_min_bytes : std::numeric_limits<std::size_t>::max();
}

Frame WsConnection::encode(ws::Opcode op, std::string_view payload) const {
  if (payload.size() >= deflate_min())
    return std::make_shared<const std::string>(ws::encode_deflated_frame(op, payload));
  return std::make_shared<const std::string>(ws::encode_frame(op, payload));
}

void WsConnection::queue_pong(std::string_view payload) {
  auto pong = std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::pong, payload));
  if (pong_) queued_bytes_ -= cost_of(pong_);  // only the latest ping is answered
  if (queued_bytes_ + cost_of(pong) > net_.config.outbound_queue_limit) {
    pong_ = nullptr;
    return overflow();
  }
  queued_bytes_ += cost_of(pong);
  pong_ = std::move(pong);
  bump(net_.metrics.hot[reactor_.index()].frames_out);
  schedule_flush();
}

void WsConnection::enqueue(Frame frame) {
  queued_bytes_ += cost_of(frame);
  queue_.push_back(std::move(frame));
  bump(net_.metrics.hot[reactor_.index()].frames_out);
  schedule_flush();
}

void WsConnection::schedule_flush() {
  if (writing_ || flush_posted_) return;
  flush_posted_ = true;
  if (reading_) {  // on_read writes once it has handled everything the read brought
    flush_at_read_end_ = true;
    return;
  }
  reactor_.post([self = shared_from_this()] {
    self->flush_posted_ = false;
    self->do_write();
  });
}

void WsConnection::do_write() {
  if (writing_ || (queue_.empty() && !pong_) || state_ == State::closed) return;
  writing_ = true;
  in_flight_.swap(queue_);
  // The pending pong goes first: queue_ always starts on a frame boundary (the pieces of one
  // frame are queued in one handler, and writes start from posted handlers or once a read is
  // handled, never inside a handler).
  if (pong_) in_flight_.insert(in_flight_.begin(), std::exchange(pong_, nullptr));
  bump(net_.metrics.hot[reactor_.index()].writes);
  auto done = [this] {
    return [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_write(ec); };
  };
  if (tls_) {
    // One buffer: Asio's SSL stream would encrypt and send a gathered write one buffer at a time.
    tls_out_.clear();
    for (auto& f : in_flight_) tls_out_.append(*f);
    return asio::async_write(tls_->stream, asio::buffer(tls_out_), done());
  }
  // Plain TCP: written at once on the non-blocking socket, gathered from a member vector lent
  // as a span. A reply nearly always goes whole, and then no completion handler runs; what the
  // socket does not take goes by an async_write.
  write_buffers_.clear();
  for (auto& f : in_flight_) write_buffers_.emplace_back(f->data(), f->size());
  error_code ec;
  std::size_t written = socket_.write_some(std::span<const asio::const_buffer>(write_buffers_), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ec = {};
    written = 0;
  }
  if (ec || written == asio::buffer_size(write_buffers_)) return on_write(ec);
  drop_written(written);
  asio::async_write(socket_, std::span<const asio::const_buffer>(write_buffers_), done());
}

void WsConnection::drop_written(std::size_t n) {
  std::size_t whole = 0;
  while (n >= write_buffers_[whole].size()) n -= write_buffers_[whole++].size();
  write_buffers_.erase(write_buffers_.begin(), write_buffers_.begin() + static_cast<std::ptrdiff_t>(whole));
  write_buffers_.front() += n;
}

void WsConnection::on_write(const error_code& ec) {
  writing_ = false;
  for (auto& f : in_flight_) queued_bytes_ -= cost_of(f);
  trim(in_flight_);
  if (write_buffers_.capacity() > kKeepQueueCapacity) std::vector<asio::const_buffer>().swap(write_buffers_);
  if (tls_out_.capacity() > kKeepTlsBuffer) std::string().swap(tls_out_);
  if (ec) return finish();
  if (!queue_.empty() || pong_) return do_write();
  if (queue_.capacity() > kKeepQueueCapacity) trim(queue_);
  if (shutdown_after_write_) {
    shutdown_after_write_ = false;
    error_code ignored;
    // The peer sees EOF after our close frame (under TLS without a close_notify: the WebSocket
    // close handshake already ended the conversation).
    tcp().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
}

void WsConnection::overflow() {
  net_.metrics.slow_consumer_closes.fetch_add(1, std::memory_order_relaxed);
  net_.metrics.limits.closed(Limit::outbound_queue, peer_text());
  for (auto& f : queue_) queued_bytes_ -= cost_of(f);
  trim(queue_);
  if (pong_) queued_bytes_ -= cost_of(std::exchange(pong_, nullptr));
  close(ws::CloseCode::policy_violation, "outbound queue full: client too slow");
}

// ---- closing -------------------------------------------------------------------------------

void WsConnection::close(ws::CloseCode code, std::string_view reason) {
  if (state_ != State::open) return;
  if (access_) access_->closed(static_cast<unsigned>(code), "server");
  state_ = State::closing;
  close_deadline_ = Clock::now() + kCloseHandshakeTimeout;
  net_.metrics.close_codes.count(static_cast<std::uint16_t>(code));
  enqueue(std::make_shared<const std::string>(ws::encode_close(code, reason)));
  shutdown_after_write_ = true;
  notify_closed();
}

void WsConnection::notify_closed() {
  if (handler_notified_) return;
  handler_notified_ = true;
  // At a safe point: never inside the handler's own call or a PubSub delivery loop.
  reactor_.post([self = shared_from_this()] { self->handler_->on_closed(); });
}

std::string WsConnection::peer_text() {
  if (!log::enabled(log::Category::net, log::Level::info)) return {};
  error_code ec;
  auto peer = tcp().remote_endpoint(ec);
  return ec ? std::string() : peer.address().to_string();
}

void WsConnection::finish() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  error_code ignored;
  tcp().close(ignored);
  queue_.clear();
  pong_ = nullptr;
  notify_closed();
}

void WsConnection::sweep(Clock::time_point now) {
  if (state_ == State::open) {
    if (now - last_activity_ > std::chrono::milliseconds(net_.config.idle_timeout_ms))
      close(ws::CloseCode::going_away, "idle timeout");
  } else if (state_ == State::closing && now > close_deadline_) {
    finish();
  }
}

WsRegistry::WsRegistry(Reactor& reactor, std::chrono::microseconds interval)
    : reactor_(reactor), interval_(interval), timer_(reactor.context()) {}

void WsRegistry::join_round(std::shared_ptr<WsConnection> c) {
  round_.push_back(std::move(c));
  if (scheduled_) return;
  scheduled_ = true;
  auto next = last_round_ + interval_;
  if (Clock::now() >= next) {
    reactor_.post([this] { run_round(); });
    return;
  }
  timer_.expires_at(next);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) run_round();
  });
}

Frame WsRegistry::deflated(const Frame& frame) {
  for (const auto& d : deflated_)
    if (d.from == frame) return d.to;
  ws::FrameView v = ws::view_frame(*frame);
  if (!v.ok || !v.fin || v.rsv1 || (v.op != ws::Opcode::text && v.op != ws::Opcode::binary)) return frame;
  auto to = std::make_shared<const std::string>(ws::encode_deflated_frame(v.op, v.payload));
  deflated_[next_deflated_] = {frame, to};
  next_deflated_ = (next_deflated_ + 1) % kDeflatedCache;
  return to;
}

void WsRegistry::run_round() {
  scheduled_ = false;
  last_round_ = Clock::now();
  std::vector<std::shared_ptr<WsConnection>> round;
  round.swap(round_);
  for (auto& c : round) c->flush_round();
}

void WsRegistry::sweep(Clock::time_point now) {
  for (auto it = list_.begin(); it != list_.end();) {
    auto self = (it++)->shared_from_this();  // keep it alive across its own sweep
    self->sweep(now);
  }
}

void WsRegistry::close_all(ws::CloseCode code, std::string_view reason) {
  for (auto it = list_.begin(); it != list_.end();) {
    auto self = (it++)->shared_from_this();
    self->close(code, reason);
  }
}

}  // namespace cohort::net
