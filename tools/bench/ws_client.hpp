// ws_client.hpp — one client connection: TCP connect, WebSocket upgrade, one Phoenix channel.
//
// Lifecycle: start() connects and upgrades (on_open), join() sends phx_join and waits for its
// reply (on_joined); later frames go to on_frame. Any failure — refused connect, refused
// upgrade, refused join, server close, bad frame — ends the connection and calls on_failed
// exactly once. close() ends it silently. The object itself lives until its loop stops.
//
// Reading: one small asynchronous read (wake_size bytes, 4 KB by default) waits for data; at low
// rates it holds everything that arrived. When it comes back full, more is waiting: the socket
// is drained with non-blocking reads of up to 64 KB into the loop's shared buffer (the loop runs
// one handler at a time, so that buffer never serves two reads at once), then the small read is
// armed again. So an idle connection holds only its small buffer, a busy one reads 64 KB at a
// time, and each wake-up costs one recv (an async_wait would add an epoll_ctl per wake-up).
// Writing: frames are masked into out_ and flushed once per loop turn; one write in flight.
// TLS (a wss:// target): the TCP connect is followed by the TLS handshake (no certificate
// verification: loopback, throwaway certificates); reads and writes go through the TLS stream,
// and the drain reads only what OpenSSL has already decrypted (SSL_pending), never the socket.
// Compression: permessage-deflate is offered when the target says so (--deflate, on by default,
// as browsers do). The bench never compresses what it sends (joins and heartbeats are small);
// compressed messages it receives go through the loop's InflateCache (see inflate_cache.hpp).
// Owner-thread-only (the thread of its ClientLoop).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/ws_frame.hpp"
#include "phx_frame.hpp"
#include "ws_url.hpp"

namespace cohort::bench {

struct ClientLoop;
class Connection;
struct TlsLayer;  // ws_client.cpp

// What a connection tells its owner. Calls happen on the connection's loop thread.
class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  // The upgrade succeeded: time to join.
  virtual void on_open(Connection& conn) = 0;
  // The join was answered {"status":"ok"}: first the reply itself (a live view's rendered tree is
  // in it; most owners ignore it), then on_joined.
  virtual void on_join_reply(Connection& conn, const PhxFrame& reply) {}
  virtual void on_joined(Connection& conn) = 0;
  // Any frame other than the join reply, heartbeat replies and the channel's own
  // phx_close/phx_error. The loop's now_ns holds the time the bytes were read.
  virtual void on_frame(Connection& conn, const PhxFrame& frame) = 0;
  // The connection ended; why is a human-readable reason. Called once; never after close().
  virtual void on_failed(Connection& conn, std::string_view why) = 0;
};

class Connection final : private net::ws::FrameSink {
 public:
  // Size of the per-connection read buffer: a few frames (see Reading above).
  static constexpr std::size_t kDefaultWakeSize = 4096;

  enum class State : std::uint8_t { idle, connecting, upgrading, open, joining, joined, closed };

  Connection(ClientLoop& loop, std::uint32_t index, std::uint32_t slot, ConnectionEvents& events,
             std::size_t wake_size = kDefaultWakeSize);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects to target (which must outlive the connection) and upgrades.
  void start(const WsTarget& target);
  // Sends phx_join on topic with params (JSON text); its ref becomes the join_ref.
  void join(std::string_view topic, std::string_view params = "{}");
  // Pushes event with payload (JSON text) on the joined topic; returns the ref used.
  std::uint64_t push(std::string_view event, std::string_view payload);
  // Sends [null,"<ref>","phoenix","heartbeat",{}] if the socket is open.
  void send_heartbeat();
  // Ends the connection without calling on_failed.
  void close();

  State state() const { return state_; }
  std::uint32_t index() const { return index_; }  // the run's global connection number
  std::uint32_t slot() const { return slot_; }    // position in its loop's conns
  std::uint64_t started_ns() const { return started_ns_; }
  bool was_joined() const { return was_joined_; }  // its join was accepted (even if it ended since)
  std::size_t queued_bytes() const { return out_.size() + inflight_.size(); }
  ClientLoop& loop() { return loop_; }

 private:
  void on_connect(const boost::system::error_code& ec);
  void on_transport_ready();  // connected (and TLS handshake done): send the upgrade
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t len);
  void drain();
  bool consume(std::uint8_t* data, std::size_t len);  // false once the connection ended
  bool consume_handshake(const std::uint8_t* data, std::size_t len);
  bool feed(std::uint8_t* data, std::size_t len);
  void send_frame(net::ws::Opcode op, std::string_view payload);
  void schedule_flush();
  void do_write();
  void on_write(const boost::system::error_code& ec);
  void on_join_reply(const PhxFrame& frame);
  void fail(std::string why);
  void release_buffers();

  void on_message(net::ws::Opcode op, std::string_view payload) override;
  // A compressed text message: looked up in the loop's InflateCache (hashed here, inflated
  // once per distinct bytes), then handled as on_message would, with the frame's digest set.
  bool on_deflated_message(net::ws::Opcode op, std::string_view deflated) override;
  void on_text(std::string_view text, std::uint64_t digest);
  void on_control(net::ws::Opcode op, std::string_view payload) override;

  ClientLoop& loop_;
  ConnectionEvents& events_;
  const WsTarget* target_ = nullptr;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsLayer> tls_;  // null: plain ws://
  net::ws::FrameReader reader_;
  std::unique_ptr<std::uint8_t[]> wake_buffer_;
  std::size_t wake_size_;
  std::string out_;        // frames waiting for the next write
  std::string inflight_;   // the write in flight
  std::string handshake_;  // the upgrade response as it arrives
  std::string key_;        // the Sec-WebSocket-Key offered
  std::string topic_;
  std::string join_ref_;   // the join's ref as text
  std::uint64_t next_ref_ = 1;
  std::uint64_t started_ns_ = 0;
  std::uint32_t index_;
  std::uint32_t slot_;
  State state_ = State::idle;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool was_joined_ = false;
  bool deflate_ = false;  // permessage-deflate negotiated
};

}  // namespace cohort::bench
