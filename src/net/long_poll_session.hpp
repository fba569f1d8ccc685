// long_poll_session.hpp — one Phoenix LongPoll session: a socket whose transport is HTTP polls.
//
// Owns: the handler running on the session (the Phoenix channels socket, as on a WebSocket),
// the messages waiting for the client's next poll, the one poll waiting for messages, the
// message rate (the same TokenBucket rules as WsConnection::take_message) and the session's
// per-address slot (an AddressTicket: a session counts as a connection). LongPollSessions holds
// a reactor's sessions by id, drops those nobody polls and closes them all at shutdown.
// Threads: a session lives on one reactor for life, owner-thread-only; HTTP requests that reach
// another reactor are posted here (channels/long_poll.cpp). The Answer it is given is callable
// from this thread and posts itself back to the HTTP connection's reactor.
// Polls: poll() answers at once with what is waiting ({"status":200,...}), else waits until a
// message comes (answered at the end of that loop turn, so a burst leaves as one batch) or the
// window (Config::longpoll_window_ms) passes ({"status":204}). A second poll while one waits
// answers the first with 204. A session with no poll waiting and none for 1.5 × the window is
// dropped by the sweep (counted in long_poll.dropped_timeout): its handler is told on_closed(),
// so its channels terminate and its presences leave.
// Overflow policy: the waiting messages are bounded like a WebSocket's queue (Config::
// outbound_queue_limit bytes, each message counted with kQueuedFrameCost); past it they are
// dropped and the session is closed (counted in slow_consumer_closes, long_poll.dropped_overflow
// and the outbound_queue limit's closes). A closed session answers its waiting poll, and every
// later one, with 410: the client then opens a new session and rejoins.
// Binary messages from the server: the official client JSON-parses every polled message, so a
// binary one cannot reach it; such messages are not queued and are counted in
// long_poll.binary_dropped (docs/protocol.md).
// It must never be touched from another thread, nor answer a poll twice.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/long_poll_wire.hpp"
#include "net/net_context.hpp"
#include "net/reactor.hpp"
#include "net/token_bucket.hpp"
#include "net/ws_connection.hpp"

namespace cohort::net {

class LongPollSession : public std::enable_shared_from_this<LongPollSession> {
 public:
  // The answer to one poll: the JSON body ({"status":...}). Called once, on this reactor.
  using Answer = std::function<void(std::string body)>;

  LongPollSession(Reactor& reactor, NetContext& net, std::uint64_t id, AddressTicket ticket);
  ~LongPollSession();

  // Registers the session with its reactor's LongPollSessions and opens the handler on it.
  // token: what the client names the session by (signed by the caller).
  void start(std::unique_ptr<WsHandler> handler, std::string token);
  std::uint64_t id() const { return id_; }
  // The access log's record of the session (net/access_log.hpp), whose close line it writes.
  void set_access(std::unique_ptr<SessionAccess> access) { access_ = std::move(access); }
  const std::string& token() const { return token_; }

  // ---- the HTTP side ----
  // A GET: see the file comment.
  void poll(Answer answer);
  // A POST's messages, handed to the handler in order while the session is open. False when the
  // session is closed (the client is answered 410).
  bool post(std::vector<PostedMessage>& messages);
  // Drops the session when nobody polled it for 1.5 × the window.
  void sweep(Clock::time_point now);

  // ---- the Transport side (net/transport.hpp) ----
  Admission take_message();
  void send(const Frame& frame);  // a frame (or a piece of one), as a WebSocket would be sent
  void send_text(std::string_view text);
  void send_binary(std::string_view bytes);
  Frame encode(ws::Opcode op, std::string_view payload) const;
  std::size_t deflate_min() const;  // SIZE_MAX: permessage-deflate never applies to LongPoll
  // Ends the session: no more messages either way; the waiting poll is answered 410.
  void close(ws::CloseCode code, std::string_view reason);
  bool is_open() const { return open_; }
  Reactor& reactor() { return reactor_; }
  NetContext& net() { return net_; }

 private:
  void queue(std::string_view text);
  void schedule_answer();
  void answer(unsigned status);
  void overflow();

  Reactor& reactor_;
  NetContext& net_;
  std::uint64_t id_;
  std::string token_;
  AddressTicket ticket_;
  std::unique_ptr<SessionAccess> access_;  // null while the access log is off
  std::unique_ptr<WsHandler> handler_;
  FrameUnwrapper unwrapper_;
  std::vector<std::string> messages_;  // waiting for the next poll
  OutboundBytes queued_bytes_;         // cost of messages_ (bytes + kQueuedFrameCost each)
  Answer waiting_;                     // the poll waiting for messages, if any
  std::uint64_t poll_generation_ = 0;  // tells the window timer which poll it was set for
  boost::asio::steady_timer window_;
  TokenBucket rate_;
  Clock::time_point last_poll_;
  bool open_ = false;
  bool answer_posted_ = false;
};

// A reactor's sessions by id. Owner-thread-only.
class LongPollSessions {
 public:
  std::uint64_t next_id() { return next_id_++; }
  void add(std::shared_ptr<LongPollSession> session);
  void remove(std::uint64_t id);
  std::shared_ptr<LongPollSession> find(std::uint64_t id) const;
  void sweep(Clock::time_point now);
  void close_all(ws::CloseCode code, std::string_view reason);
  std::size_t size() const { return sessions_.size(); }

 private:
  std::unordered_map<std::uint64_t, std::shared_ptr<LongPollSession>> sessions_;
  std::uint64_t next_id_ = 1;
};

}  // namespace cohort::net
