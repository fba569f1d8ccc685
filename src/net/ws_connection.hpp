// ws_connection.hpp — one WebSocket after the upgrade: Cohort's own socket, frames and queue.
//
// Owns: the TCP socket (or the TLS stream over it), the FrameReader, the outbound queue and the
// close handshake of one connection, and the WsHandler that gives its messages meaning. Everything runs on the
// connection's reactor (owner-thread-only); another thread reaches it only through a broadcast
// posted to that reactor.
//
// Reads: into a 64-byte inbox per connection (a pending read costs no epoll_ctl, unlike a
// readiness wait); when it fills, the rest is drained through the reactor's shared 64 KiB
// buffer, so an idle connection holds 64 bytes of read buffer, not kilobytes.
// Writes: one gathered write in flight at a time, tried at once on the non-blocking socket (an
// async_write only for what the socket does not take). Frames queued meanwhile are sent together by
// the next write (coalescing). Two kinds of send: a direct one (a reply, a push) queued while the
// connection handles a read leaves when the read is handled (all answers to one read in one
// write, no posted task); queued at any other time it is flushed by a posted task, so a burst
// handled in one loop turn leaves as one write; a broadcast frame
// waits for the reactor's next flush round (WsRegistry), at most flush_interval_us after the
// previous round, so a busy room costs one write per socket per round, not one per message.
// Frames are shared, immutable buffers: a broadcast frame is the same bytes for every
// subscriber.
// TLS (wss://): the same queue, rounds and coalescing; only the transport differs, chosen by a
// branch per read and per write (never per byte). A read that fills the inbox drains what
// OpenSSL already decrypted (SSL_pending) through the reactor's buffer, so no syscall is added;
// a write copies the queued frames into one buffer (Asio's SSL stream encrypts one buffer at a
// time, so a gathered write would become one TLS record and one syscall per frame).
// permessage-deflate (when negotiated at the upgrade, see ws_extensions.hpp): messages of at
// least Config::deflate_min_bytes go out compressed. A broadcast frame is compressed once per
// reactor (the registry keeps the last few compressed frames, keyed by the shared frame), so
// every compressing subscriber on a reactor gets the same bytes; inbound compressed messages
// are inflated by the FrameReader.
// Overflow policy: when the queued bytes pass Config::outbound_queue_limit the queue is dropped
// and the connection is closed with 1008 "outbound queue full" (counted in slow_consumer_closes).
// Every queued frame counts its bytes plus kQueuedFrameCost (the queue entry and its buffer's
// bookkeeping), so many tiny frames cannot hold much more memory than the limit says. Pongs
// count too, and at most one is queued: a ping that arrives while a pong waits replaces it
// (RFC 6455 5.5.3 allows answering only the latest ping), so a client that sends pings and never
// reads holds one pong, not one per ping.
// Message rate (Config::socket_messages_per_s, socket_message_burst): take_message() spends a
// token of the socket's TokenBucket for each message and each ping; the handler answers a refused
// message (the Phoenix socket: {"reason":"rate_limited"}), a refused ping gets no pong, and a
// client that keeps sending after socket_message_burst refusals is closed with 1008 (counted in
// LimitCounters as refusals and closes of Limit::socket_messages).
// Per-address limit: the connection holds its AddressTicket (address_limits.hpp) for life.
// Lifetime: async operations hold shared_from_this(); the handler is told on_closed() once, at
// a safe point (posted), never from inside one of its own calls.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <array>
#include <boost/intrusive/list.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/access_log.hpp"
#include "net/net_context.hpp"
#include "net/reactor.hpp"
#include "net/token_bucket.hpp"
#include "net/ws_frame.hpp"

namespace cohort::net {

using Frame = std::shared_ptr<const std::string>;  // a complete WebSocket frame on the wire
using Clock = std::chrono::steady_clock;

// What a queued frame costs beyond its bytes: its queue slot, and the shared buffer's control
// block and string header (about 64 bytes for a frame of its own; counted for shared ones too).
inline constexpr std::size_t kQueuedFrameCost = 64;
inline std::size_t cost_of(const Frame& f) { return f->size() + kQueuedFrameCost; }

class WsConnection;
class Transport;   // net/transport.hpp
struct TlsSocket;  // net/tls.hpp

// What one message (or ping) against a socket's rate gets: pass, refuse (answer it with a
// refusal, or drop it), or close (already closing with 1008: do nothing more with it).
enum class Admission { pass, refuse, close };

// What runs on top of a WebSocket or a LongPoll session (the Phoenix channels socket).
// Owner-thread-only.
class WsHandler {
 public:
  virtual ~WsHandler() = default;
  // The connection it runs on, valid until on_closed().
  virtual void on_open(Transport transport) = 0;
  // A whole text or binary message. payload points into a buffer reused after the call.
  virtual void on_message(ws::Opcode op, std::string_view payload) = 0;
  // The connection stopped being open (closed by either side or failed). Called once.
  virtual void on_closed() = 0;
};

using RegistryHook = boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;

class WsConnection : public std::enable_shared_from_this<WsConnection>,
                     public ws::FrameSink,
                     public RegistryHook {
 public:
  // How long a peer has to answer our close frame before the socket is simply closed (checked
  // by the registry's sweep).
  static constexpr std::chrono::seconds kCloseHandshakeTimeout{3};

  WsConnection(Reactor& reactor, NetContext& net, boost::asio::ip::tcp::socket socket);
  // Over TLS: the stream whose handshake the HTTP session already made.
  WsConnection(Reactor& reactor, NetContext& net, std::unique_ptr<TlsSocket> tls);
  ~WsConnection() override;

  // Starts reading; leftover = bytes that arrived behind the upgrade request; deflate: the
  // upgrade negotiated permessage-deflate; ticket: the connection's per-address slot; access:
  // its access log record (null while the access log is off), whose close line it writes.
  void start(std::unique_ptr<WsHandler> handler, std::string leftover, bool deflate = false, AddressTicket ticket = {},
             std::unique_ptr<SessionAccess> access = nullptr);

  // One message (or ping) against the socket's rate (Admission). Counted.
  using Admission = net::Admission;
  Admission take_message();

  // Queue bytes: a complete frame or consecutive pieces of one, sent as they are. A broadcast
  // (a complete frame shared by many sockets) is compressed when deflate applies and waits for
  // the reactor's flush round; anything else is flushed as soon as the current loop turn ends.
  void send(Frame frame, bool broadcast = false);
  // A complete frame of a text or binary message, compressed when deflate applies.
  Frame encode(ws::Opcode op, std::string_view payload) const;
  // The smallest payload this socket compresses: Config::deflate_min_bytes once permessage-
  // deflate is negotiated, SIZE_MAX (never) otherwise.
  std::size_t deflate_min() const;
  void send_text(std::string_view text);
  void send_binary(std::string_view bytes);
  // Starts the close handshake with code and reason; no more messages are delivered or sent.
  void close(ws::CloseCode code, std::string_view reason);

  bool is_open() const { return state_ == State::open; }
  // The cost (cost_of) of what waits to be written: compared with outbound_queue_limit.
  std::size_t queued_bytes() const { return queued_bytes_; }
  Reactor& reactor() { return reactor_; }
  NetContext& net() { return net_; }

  // Called by the reactor's registry sweep: idle timeout and overdue close handshakes.
  void sweep(Clock::time_point now);
  // Called by the registry's flush round.
  void flush_round();

  // FrameSink
  void on_message(ws::Opcode op, std::string_view payload) override;
  void on_control(ws::Opcode op, std::string_view payload) override;

 private:
  enum class State { open, closing, closed };

  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  bool read_all(std::size_t n);  // consumes the inbox's n bytes and drains; false once closed
  bool consume(std::uint8_t* data, std::size_t n);  // false once the connection is closed
  void schedule_flush();
  void do_write();
  void drop_written(std::size_t n);  // removes the first n bytes (fewer than all) from write_buffers_
  void on_write(const boost::system::error_code& ec);
  void enqueue(Frame frame);
  void queue_pong(std::string_view payload);
  void overflow();
  void notify_closed();
  void finish();  // close the socket now
  boost::asio::ip::tcp::socket& tcp();  // the TCP socket, under TLS or not
  bool drain_tls();  // reads what OpenSSL holds decrypted (see the file comment); false once closed
  std::string peer_text();  // the peer's address for a log line ("" while category net is off)

  Reactor& reactor_;
  NetContext& net_;
  boost::asio::ip::tcp::socket socket_;  // unused (closed) under TLS
  std::unique_ptr<TlsSocket> tls_;       // null: plain
  std::string tls_out_;                  // under TLS: the queued frames of the write in flight
  ws::FrameReader reader_;
  // Reads land here first: big enough for a heartbeat or a small push, small enough that an
  // idle connection stays cheap. A full inbox is drained through the reactor's 64 KiB buffer.
  std::array<std::uint8_t, 64> inbox_;
  std::unique_ptr<WsHandler> handler_;
  std::vector<Frame> queue_;      // waiting for the next write
  std::vector<Frame> in_flight_;  // being written now
  std::vector<boost::asio::const_buffer> write_buffers_;  // in_flight_'s bytes, for a gathered write
  Frame pong_;                    // the one pong waiting for the next write (see the file comment)
  OutboundBytes queued_bytes_;    // cost (cost_of) of queue_, in_flight_ and pong_
  TokenBucket messages_;          // the message rate
  AddressTicket ticket_;
  std::unique_ptr<SessionAccess> access_;  // the access log's record; null while it is off
  Clock::time_point last_activity_;
  Clock::time_point close_deadline_;
  State state_ = State::open;
  bool writing_ = false;
  bool flush_posted_ = false;      // a flush is coming: posted, or at the end of the read
  bool reading_ = false;           // inside on_read: frames sent now leave when it is done
  bool flush_at_read_end_ = false;  // the coming flush is the read's
  bool shutdown_after_write_ = false;  // half-close once the close frame is out
  bool handler_notified_ = false;
  bool in_round_ = false;  // registered for the reactor's next flush round
  bool deflate_ = false;   // permessage-deflate negotiated
};

// The WebSocket connections of one reactor: the idle sweep, shutdown, and flush rounds.
// Owner-thread-only. Connections unlink themselves when destroyed.
// A flush round writes every socket that has broadcast frames queued. Rounds are at least
// `interval` apart: the first broadcast after a quiet period is flushed at the end of the loop
// turn; under load, frames gather until the next round, so each socket gets one write per
// round however many broadcasts arrived.
class WsRegistry {
 public:
  WsRegistry(Reactor& reactor, std::chrono::microseconds interval);
  void add(WsConnection& c) { list_.push_back(c); }
  void sweep(Clock::time_point now);
  void close_all(ws::CloseCode code, std::string_view reason);
  std::size_t size() const { return list_.size(); }
  // The connections whose outbound queue holds more than `over` bytes (slow consumers, for the
  // node's status), and the fullest queue's bytes. Walks the list: once a second, not per message.
  struct Slow {
    std::size_t count = 0;
    std::size_t max_queued = 0;
  };
  Slow slow(std::size_t over) const {
    Slow s;
    for (const auto& c : list_)
      if (c.queued_bytes() > over) {
        ++s.count;
        s.max_queued = std::max(s.max_queued, c.queued_bytes());
      }
    return s;
  }
  // Writes c in the next flush round.
  void join_round(std::shared_ptr<WsConnection> c);
  // The compressed form of a shared broadcast frame (a complete text or binary frame), made
  // once per reactor: a broadcast reaches a reactor's subscribers one after another, so the
  // last few results are kept, keyed by the frame they came from (held, so the key stays valid).
  Frame deflated(const Frame& frame);

 private:
  void run_round();
  static constexpr std::size_t kDeflatedCache = 4;
  struct Deflated {
    Frame from, to;
  };
  std::array<Deflated, kDeflatedCache> deflated_{};
  std::size_t next_deflated_ = 0;

  Reactor& reactor_;
  std::chrono::microseconds interval_;
  boost::intrusive::list<WsConnection, boost::intrusive::constant_time_size<false>> list_;
  std::vector<std::shared_ptr<WsConnection>> round_;  // sockets waiting for the next round
  boost::asio::steady_timer timer_;
  bool scheduled_ = false;
  Clock::time_point last_round_{};
};

}  // namespace cohort::net
