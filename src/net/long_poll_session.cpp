// long_poll_session.cpp — one LongPoll session and a reactor's table of them: see long_poll_session.hpp.
#include "net/long_poll_session.hpp"

#include <limits>

#include "net/transport.hpp"

namespace cohort::net {

namespace {
// The waiting-message vector gives its memory back past this many entries once answered.
constexpr std::size_t kKeepMessages = 16;

std::chrono::milliseconds window_of(const NetContext& net) {
  return std::chrono::milliseconds(net.config.longpoll_window_ms);
}

void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) { counter.fetch_add(n, std::memory_order_relaxed); }
}  // namespace

LongPollSession::LongPollSession(Reactor& reactor, NetContext& net, std::uint64_t id, AddressTicket ticket)
    : reactor_(reactor),
      net_(net),
      id_(id),
      ticket_(std::move(ticket)),
      queued_bytes_(net.metrics.hot[reactor.index()].outbound_bytes),
      window_(reactor.context()),
      last_poll_(Clock::now()) {
  add(net_.metrics.long_poll.sessions_open);
}

LongPollSession::~LongPollSession() {
  net_.metrics.long_poll.sessions_open.fetch_sub(1, std::memory_order_relaxed);
  if (access_) log_session_close(*access_);
}

void LongPollSession::start(std::unique_ptr<WsHandler> handler, std::string token) {
  handler_ = std::move(handler);
  token_ = std::move(token);
  const auto& c = net_.config;
  // As a WebSocket: a client that ignores socket_message_burst refusals is closed.
  rate_ = TokenBucket(c.socket_messages_per_s, c.socket_message_burst, Clock::now(), c.socket_message_burst);
  open_ = true;
  last_poll_ = Clock::now();
  net_.poll_sessions[reactor_.index()]->add(shared_from_this());
  handler_->on_open(Transport(*this));
}

// ---- the HTTP side -------------------------------------------------------------------------

void LongPollSession::poll(Answer reply) {
  add(net_.metrics.long_poll.polls);
  last_poll_ = Clock::now();
  if (!open_) return reply(poll_body(410, token_, {}));
  if (waiting_) answer(204);  // the earlier poll gives way to this one
  waiting_ = std::move(reply);
  if (!messages_.empty()) return answer(200);
  auto generation = ++poll_generation_;
  window_.expires_after(window_of(net_));
  window_.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->poll_generation_ != generation || !self->waiting_) return;
    self->answer(204);
  });
}

bool LongPollSession::post(std::vector<PostedMessage>& messages) {
  if (!open_) return false;
  for (auto& m : messages) {
    if (!open_) break;  // the handler closed the session (a bad message, the rate)
    if (access_) access_->received(m.bytes.size());
    handler_->on_message(m.op, m.bytes);
  }
  return true;
}

void LongPollSession::sweep(Clock::time_point now) {
  if (!open_ || waiting_) return;
  if (now - last_poll_ <= window_of(net_) * 3 / 2) return;
  add(net_.metrics.long_poll.dropped_timeout);
  close(ws::CloseCode::going_away, "no poll");
}

void LongPollSession::answer(unsigned status) {
  Answer reply = std::exchange(waiting_, nullptr);
  ++poll_generation_;
  window_.cancel();
  last_poll_ = Clock::now();
  if (status != 200) return reply(poll_body(status, token_, {}));
  add(net_.metrics.long_poll.messages_out, messages_.size());
  std::string body = poll_body(200, token_, messages_);
  messages_.clear();
  if (messages_.capacity() > kKeepMessages) std::vector<std::string>().swap(messages_);
  queued_bytes_ = 0;
  reply(std::move(body));
}

void LongPollSession::schedule_answer() {
  if (!waiting_ || answer_posted_) return;
  answer_posted_ = true;
  // At the end of this loop turn: what else this turn queues leaves in the same answer.
  reactor_.post([self = shared_from_this()] {
    self->answer_posted_ = false;
    if (self->waiting_ && !self->messages_.empty()) self->answer(200);
  });
}

// ---- the Transport side --------------------------------------------------------------------

Admission LongPollSession::take_message() {
  if (rate_.take(Clock::now())) return Admission::pass;
  if (!rate_.exhausted()) {
    net_.metrics.limits.refused(Limit::socket_messages);
    return Admission::refuse;
  }
  net_.metrics.limits.closed(Limit::socket_messages);
  close(ws::CloseCode::policy_violation, "rate limit exceeded: too many messages per second");
  return Admission::close;
}

void LongPollSession::send(const Frame& frame) {
  if (!open_ || !frame) return;
  unwrapper_.feed(*frame, [this](ws::Opcode op, std::string_view payload) {
    if (op == ws::Opcode::text) return queue(payload);
    add(net_.metrics.long_poll.binary_dropped);
  });
}

void LongPollSession::send_text(std::string_view text) {
  if (open_) queue(text);
}

void LongPollSession::send_binary(std::string_view) {
  if (open_) add(net_.metrics.long_poll.binary_dropped);
}

Frame LongPollSession::encode(ws::Opcode op, std::string_view payload) const {
  return std::make_shared<const std::string>(ws::encode_frame(op, payload));
}

std::size_t LongPollSession::deflate_min() const { return std::numeric_limits<std::size_t>::max(); }

void LongPollSession::queue(std::string_view text) {
  std::size_t cost = text.size() + kQueuedFrameCost;
  if (queued_bytes_ + cost > net_.config.outbound_queue_limit) return overflow();
  queued_bytes_ += cost;
  if (access_) access_->bytes_out += text.size();
  messages_.emplace_back(text);
  schedule_answer();
}

void LongPollSession::overflow() {
  add(net_.metrics.slow_consumer_closes);
  add(net_.metrics.long_poll.dropped_overflow);
  net_.metrics.limits.closed(Limit::outbound_queue);
  close(ws::CloseCode::policy_violation, "outbound queue full: client too slow");
}

void LongPollSession::close(ws::CloseCode code, std::string_view) {
  if (!open_) return;
  if (access_) access_->closed(static_cast<unsigned>(code), "server");
  open_ = false;
  messages_.clear();
  queued_bytes_ = 0;
  if (waiting_) answer(410);
  window_.cancel();
  ticket_ = AddressTicket{};  // the address's slot is free again
  // At a safe point: never inside the handler's own call or a PubSub delivery loop.
  reactor_.post([self = shared_from_this()] {
    self->handler_->on_closed();
    self->net_.poll_sessions[self->reactor_.index()]->remove(self->id_);
  });
}

// ---- LongPollSessions ----------------------------------------------------------------------

void LongPollSessions::add(std::shared_ptr<LongPollSession> session) {
  auto id = session->id();
  sessions_[id] = std::move(session);
}

void LongPollSessions::remove(std::uint64_t id) { sessions_.erase(id); }

std::shared_ptr<LongPollSession> LongPollSessions::find(std::uint64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void LongPollSessions::sweep(Clock::time_point now) {
  // close() only posts the removal, so the table does not change under the loop.
  for (auto& [id, session] : sessions_) session->sweep(now);
}

void LongPollSessions::close_all(ws::CloseCode code, std::string_view reason) {
  for (auto& [id, session] : sessions_) session->close(code, reason);
}

}  // namespace cohort::net
