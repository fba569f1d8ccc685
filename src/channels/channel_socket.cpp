// channel_socket.cpp — Phoenix Channels V2 on one socket: see channel_socket.hpp.
#include "channels/channel_socket.hpp"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "metrics/bounded_gauges.hpp"
#include "net/log_clip.hpp"
#include "net/ws_deflate.hpp"
#include "log/log.hpp"

namespace cohort::channels {

using net::ws::Opcode;

namespace {
// The reply buffer keeps up to this much capacity between replies.
constexpr std::size_t kKeepReplyBuffer = 16 * 1024;

// A crash a client can provoke by what it sends: its lines are rate-limited (log::Throttled).
log::Throttled& crashed_line() {
  static log::Throttled& line = log::throttled(log::Category::channels, log::Level::error, "channel_crashed");
  return line;
}
}  // namespace

// One joined (socket, topic): the handler, its join_ref and its subscription.
class JoinedChannel final : public ChannelContext,
                            public Subscriber,
                            public std::enable_shared_from_this<JoinedChannel> {
 public:
  JoinedChannel(ChannelSocket& socket, std::string topic, const InMessage& join,
                std::unique_ptr<Channel> handler)
      : socket_(socket),
        topic_(std::move(topic)),
        join_ref_(join.ref.value_or("")),
        join_ref_json_(join.ref_json),
        handler_(std::move(handler)) {}
  ~JoinedChannel() {
    if (joined_in_) joined_in_->channels_by_class.add(class_slot_, -1);
  }

  Channel& handler() { return *handler_; }
  const std::string& join_ref() const { return join_ref_; }
  const std::string& join_ref_json() const { return join_ref_json_; }
  const void* identity() const { return static_cast<const Subscriber*>(this); }

  // Until the join is answered, pushes and broadcasts wait so that the join reply goes first.
  void begin_join() { joining_ = true; }
  bool joining() const { return joining_; }
  // The push being handled (for reply_later).
  void set_current(const InMessage* message) { current_ = message; }

  // ChannelContext
  const std::string& topic() const override { return topic_; }
  const JsonObject& assigns() const override { return socket_.assigns(); }
  void push(std::string_view event, Json payload) override {
    send(encode_message(join_ref_json_, "null", topic_, event, payload), false);
  }
  void push_encoded(std::string_view event, std::string_view payload_json) override {
    std::string message = encode_head(join_ref_json_, "null", topic_, event);
    message.reserve(message.size() + payload_json.size() + 1);
    (message += payload_json) += ']';
    send(std::move(message), false);
  }
  void push_binary(std::string_view event, std::string_view bytes) override {
    std::string frame = encode_binary_push(join_ref_, topic_, event, bytes);
    if (frame.empty()) throw std::invalid_argument("binary push: topic, event or join_ref over 255 bytes");
    send(std::move(frame), true);
  }
  void broadcast(std::string_view event, Json payload) override {
    socket_.pubsub().broadcast(topic_, event, std::move(payload));
  }
  void broadcast_from(std::string_view event, Json payload) override {
    socket_.pubsub().broadcast_from(identity(), topic_, event, std::move(payload));
  }
  void broadcast_binary(std::string_view event, std::string bytes, bool include_self) override {
    socket_.pubsub().broadcast_binary(include_self ? nullptr : identity(), topic_, event, std::move(bytes));
  }
  PubSub& pubsub() override { return socket_.pubsub(); }
  Presence& presence() override { return socket_.presence(); }
  std::string track(std::string_view key, JsonObject meta) override {
    if (!socket_.may_track()) return {};
    if (!presence_owner_) presence_owner_ = socket_.presence().new_owner();
    std::string ref = socket_.presence().track(presence_owner_, topic_, key, std::move(meta));
    if (ref.empty()) return ref;  // refused by a presence limit (counted by the Tracker)
    ++tracked_[std::string(key)];
    socket_.tracked(1);
    return ref;
  }
  std::string update_presence(std::string_view key, JsonObject meta) override {
    auto it = tracked_.find(key);
    if (!presence_owner_ || it == tracked_.end()) return {};  // nothing tracked under key: nothing to update
    std::string ref = socket_.presence().update(presence_owner_, topic_, key, std::move(meta));
    if (!ref.empty() && it->second > 1) {  // the key's metas become one
      socket_.tracked(1 - it->second);
      it->second = 1;
    }
    return ref;
  }
  void untrack(std::string_view key) override {
    if (!presence_owner_) return;
    socket_.presence().untrack(presence_owner_, topic_, key);
    if (auto it = tracked_.find(key); it != tracked_.end()) {
      socket_.tracked(-it->second);
      tracked_.erase(it);
    }
  }
  void push_presence_state() override {
    // [JR, null, topic, "presence_state", STATE]: the state bytes (plain or compressed) are
    // shared by every socket of the reactor until the state changes, not copied.
    send_segments(net::ws::spliced_text_frame(encode_head(join_ref_json_, "null", topic_, "presence_state"),
                                              socket_.presence().encoded_state(topic_), "]", socket_.deflate_min()));
  }
  // Ends presence: everything this channel tracked leaves.
  void untrack_all() {
    if (presence_owner_) socket_.presence().untrack_all(presence_owner_);
    presence_owner_ = 0;
    for (const auto& [key, n] : tracked_) socket_.tracked(-n);
    tracked_.clear();
  }
  // Ends the channel's debts: the replies it still owed are no longer the socket's.
  void settle_all() {
    socket_.owed(-static_cast<std::ptrdiff_t>(pending_.size()));
    pending_.clear();
  }

  std::weak_ptr<ChannelContext> handle() override {
    return std::static_pointer_cast<ChannelContext>(shared_from_this());
  }

  void finish_join(JoinResult result) override {
    if (!joining_) return;
    joining_ = false;
    if (net::Metrics* m = socket_.metrics()) {
      m->join_seconds.observe_duration(std::chrono::steady_clock::now() - join_started_);
      if (result.ok) {  // counted in its topic class until the channel goes
        joined_in_ = m;
        class_slot_ = m->channels_by_class.slot(metrics::topic_class(topic_));
        m->channels_by_class.add(class_slot_, 1);
      }
    }
    if (!result.ok) {
      socket_.send_text(encode_reply(join_ref_json_, join_ref_json_, topic_, "error", result.response));
      return socket_.drop(*this);  // destroys this channel: nothing may follow
    }
    socket_.send_text(encode_reply(join_ref_json_, join_ref_json_, topic_, "ok", result.response));
    for (auto& segments : held_)
      for (auto& s : segments) socket_.send_frame(s);
    held_.clear();
    for (auto& b : held_broadcasts_)
      if (handler_->deliver(*b)) socket_.send_broadcast(b->frame);
    held_broadcasts_.clear();
  }

  ReplyTo reply_later() override {
    if (!current_) throw std::logic_error("reply_later() outside handle_in");
    pending_.insert(current_->ref_json);
    socket_.owed(1);
    return ReplyTo{current_->ref_json};
  }

  void reply(const ReplyTo& to, Reply r) override {
    if (r.kind() == Reply::Kind::none) return;
    if (auto it = pending_.find(to.ref_json); it != pending_.end()) {
      pending_.erase(it);
      socket_.owed(-1);
    }
    if (!r.is_binary()) return socket_.send_reply(join_ref_json_, to.ref_json, topic_, r.status(), r.response());
    if (socket_.long_poll())  // the LongPoll client reads JSON messages only: answered, never lost
      return socket_.send_text(encode_reply(join_ref_json_, to.ref_json, topic_, "error",
                                            JsonObject{{"reason", "binary reply over LongPoll"}}));
    std::string ref = to.ref_json.size() >= 2 ? to.ref_json.substr(1, to.ref_json.size() - 2) : "";
    std::string frame = encode_binary_reply(join_ref_, ref, topic_, r.status(), r.bytes());
    if (frame.empty())
      return socket_.send_text(encode_reply(join_ref_json_, to.ref_json, topic_, "error",
                                            JsonObject{{"reason", "binary reply header too long"}}));
    socket_.send_binary(frame);
  }

  void crash(std::string_view reason) override { socket_.crash(*this, reason); }
  void stop(std::string_view reason) override { socket_.stop(*this, reason); }

  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto* reactor = net::Reactor::current();
    if (!reactor) throw std::logic_error("ChannelContext::after() off the reactors");
    auto timer = std::make_shared<boost::asio::steady_timer>(reactor->context(), delay);
    timer->async_wait([timer, fn = std::move(fn), alive = weak_from_this()](const boost::system::error_code& ec) {
      if (!ec && !alive.expired()) fn();
    });
  }

  // Subscriber
  void on_broadcast(const Broadcast& message) override {
    if (joining_) return held_broadcasts_.push_back(std::make_shared<const Broadcast>(message));
    if (handler_->deliver(message)) socket_.send_broadcast(message.frame);
  }

 private:
  void send(std::string bytes, bool binary) {
    send_segments({socket_.encode(binary ? Opcode::binary : Opcode::text, bytes)});
  }
  // segments: consecutive pieces of WebSocket frames, sent in order.
  void send_segments(std::vector<net::Frame> segments) {
    if (joining_) {
      held_.push_back(std::move(segments));
      return;
    }
    for (auto& s : segments) socket_.send_frame(s);
  }

  ChannelSocket& socket_;
  std::string topic_;
  std::string join_ref_;
  std::string join_ref_json_;
  std::unique_ptr<Channel> handler_;
  bool joining_ = false;
  std::chrono::steady_clock::time_point join_started_ = std::chrono::steady_clock::now();  // phx_join arrived
  net::Metrics* joined_in_ = nullptr;  // set once joined: where the channel is counted by class
  unsigned class_slot_ = 0;
  const InMessage* current_ = nullptr;
  std::vector<std::vector<net::Frame>> held_;  // pushed while joining
  std::vector<std::shared_ptr<const Broadcast>> held_broadcasts_;  // broadcast while joining
  std::uint64_t presence_owner_ = 0;          // 0 until the channel tracks something
  // Metas tracked per key (for the socket's count: an update makes a key's metas one).
  std::unordered_map<std::string, std::ptrdiff_t, pubsub::StringHash, std::equal_to<>> tracked_;
  std::unordered_multiset<std::string> pending_;  // refs of reply_later() answers not sent yet
};

ChannelSocket::ChannelSocket(const SocketEndpoint& endpoint, PubSub& pubsub, presence::Tracker& presence,
                             JsonObject assigns, SocketLimits limits)
    : endpoint_(endpoint), pubsub_(pubsub), presence_(presence), assigns_(std::move(assigns)), limits_(limits) {}

SocketLimits SocketLimits::from(const Config& config, net::LimitCounters& counters) {
  return SocketLimits{config.socket_max_channels, config.socket_max_presences, config.socket_max_pending_replies,
                      &counters};
}

bool ChannelSocket::may_track() {
  if (presences_ < static_cast<std::ptrdiff_t>(limits_.max_presences)) return true;
  limits_.refused(net::Limit::socket_presences);
  return false;
}

ChannelSocket::~ChannelSocket() {
  // Normally on_closed() already ran. Off the reactors (the node is being torn down after its
  // loops stopped) the PubSub tables die with the node, so there is nothing to undo.
  if (net::Reactor::current()) on_closed();
}

void ChannelSocket::send_text(const std::string& text) {
  if (transport_) transport_.send_text(text);
}
void ChannelSocket::send_binary(const std::string& bytes) {
  if (transport_) transport_.send_binary(bytes);
}
void ChannelSocket::send_frame(const net::Frame& frame) {
  if (transport_) transport_.send(frame);
}
net::Frame ChannelSocket::encode(Opcode op, std::string_view payload) const {
  if (transport_) return transport_.encode(op, payload);
  return std::make_shared<const std::string>(net::ws::encode_frame(op, payload));
}
std::size_t ChannelSocket::deflate_min() const {
  return transport_ ? transport_.deflate_min() : std::numeric_limits<std::size_t>::max();
}
void ChannelSocket::send_broadcast(const net::Frame& frame) {
  if (transport_) transport_.send(frame, /*broadcast=*/true);
}

void ChannelSocket::reject(const DecodeError& error) {
  if (transport_) {
    transport_.net().metrics.protocol_closes.fetch_add(1, std::memory_order_relaxed);
    transport_.close(error.too_big ? net::ws::CloseCode::too_big : net::ws::CloseCode::invalid_payload, error.reason);
  }
}

void ChannelSocket::on_message(Opcode op, std::string_view payload) {
  InMessage message;
  const net::ParserLimits limits = transport_ ? net::parser_limits(transport_.net().config) : net::ParserLimits{};
  auto error = op == Opcode::text ? decode_text(payload, message, limits) : decode_binary(payload, message);
  if (error) return reject(*error);
  auto admission = transport_ ? transport_.take_message() : net::Admission::pass;
  if (admission == net::Admission::close) return;  // closing with 1008
  if (admission == net::Admission::refuse) {
    // Over the rate: answered (when the client waits for an answer), not handled.
    if (message.ref) reply(message, "error", JsonObject{{"reason", "rate_limited"}});
    return;
  }
  dispatch(message);
}

void ChannelSocket::reply(const InMessage& message, std::string_view status, const Json& response) {
  send_reply(message.join_ref_json, message.ref_json, message.topic, status, response);
}

void ChannelSocket::send_reply(std::string_view join_ref_json, std::string_view ref_json, std::string_view topic,
                               std::string_view status, const Json& response) {
  if (!transport_) return;
  // Encoded into this thread's buffer, then copied once into the frame: the text needs no
  // allocation of its own. Sending never calls back into a handler, so the buffer is free again
  // when send_text returns.
  thread_local std::string text;
  text.clear();
  append_reply(text, join_ref_json, ref_json, topic, status, response);
  transport_.send_text(text);
  if (text.capacity() > kKeepReplyBuffer) std::string().swap(text);
}

JoinedChannel* ChannelSocket::find(std::string_view topic) {
  for (auto& c : channels_)
    if (c->topic() == topic) return c.get();
  return nullptr;
}

void ChannelSocket::dispatch(InMessage& message) {
  if (!message.bad_request.empty())
    return reply(message, "error", JsonObject{{"reason", "bad_request"}, {"detail", message.bad_request}});
  if (message.topic == "phoenix" && message.event == "heartbeat")
    return reply(message, "ok", JsonObject{});
  if (message.event == "phx_join") return handle_join(message);
  JoinedChannel* channel = find(message.topic);
  bool stale = channel && message.join_ref && *message.join_ref != channel->join_ref();
  if (!channel || stale) {
    if (message.event == "phx_leave") return reply(message, "ok", JsonObject{});
    // As Phoenix: no channel for this (topic, join_ref); the reply carries no join_ref.
    return send_text(encode_reply("null", message.ref_json, message.topic, "error",
                                  JsonObject{{"reason", "unmatched topic"}}));
  }
  if (message.event == "phx_leave") return handle_leave(*channel, message);
  // A push behind a join not answered yet: its handler may not have run (in a cluster a join
  // waits for its subscription to reach Redis) or be waiting (a live view reads its stores).
  // Phoenix's socket reads nothing else while a join runs, and the stock clients hold their
  // pushes until the join reply; so no handler ever sees a push before its join: refused.
  if (channel->joining()) return reply(message, "error", JsonObject{{"reason", "join_pending"}});
  handle_event(*channel, message);
}

void ChannelSocket::handle_join(InMessage& message) {
  if (JoinedChannel* old = find(message.topic)) {
    // Duplicate join: close the old instance under its own join_ref, then join afresh.
    std::string old_ref = remove(*old, "rejoin");
    send_text(encode_message(old_ref, old_ref, message.topic, "phx_close", JsonObject{}));
  }
  const ChannelFactory* factory = endpoint_.route(message.topic);
  if (!factory) {
    return send_text(encode_reply("null", message.ref_json, message.topic, "error",
                                  JsonObject{{"reason", "unmatched topic"}}));
  }
  if (channels_.size() >= limits_.max_channels) {
    limits_.refused(net::Limit::socket_channels);
    return reply(message, "error", JsonObject{{"reason", "too many channels joined"}});
  }
  auto channel = std::make_shared<JoinedChannel>(*this, message.topic, message, (*factory)());
  channels_.push_back(channel);
  // Subscribed before the handler runs, so a deferred join misses no broadcast; and the handler
  // runs only once the subscription reaches the other nodes of a cluster (at once alone), so
  // what it reads and every broadcast after it line up there too.
  pubsub_.subscribe(channel->topic(), channel.get());
  channel->begin_join();
  pubsub_.when_subscribed(channel->topic(), [this, weak = std::weak_ptr<JoinedChannel>(channel),
                                             payload = std::move(message.payload)] {
    auto ch = weak.lock();
    if (ch && find(ch->topic()) == ch.get()) run_join(*ch, payload);  // else left or closed meanwhile
  });
}

void ChannelSocket::run_join(JoinedChannel& channel, const Json& payload) {
  auto keep = channel.shared_from_this();  // a refusal drops the channel
  JoinResult result;
  try {
    result = channel.handler().join(payload, channel);
  } catch (const std::exception& e) {
    static log::Throttled& line = log::throttled(log::Category::channels, log::Level::error, "join_crashed");
    line.event({{"topic", net::log_clip(channel.topic())}, {"error", net::log_clip(e.what())}});
    result = JoinResult::refuse("join crashed");
  }
  if (!result.deferred) channel.finish_join(std::move(result));
}

void ChannelSocket::crash(JoinedChannel& channel, std::string_view reason) {
  if (find(channel.topic()) != &channel) return;  // already ended (or replaced by a rejoin)
  crashed_line().event({{"topic", net::log_clip(channel.topic())}, {"error", net::log_clip(reason)}});
  end_channel(channel, "crash", "phx_error", JsonObject{{"reason", "channel_crash"}});
}

void ChannelSocket::end_channel(JoinedChannel& channel, std::string_view reason, std::string_view event,
                                JsonObject payload) {
  auto keep = channel.shared_from_this();
  std::string topic = channel.topic();
  std::string ref = remove(channel, reason);
  send_text(encode_message(ref, ref, topic, event, std::move(payload)));
}

void ChannelSocket::stop(JoinedChannel& channel, std::string_view reason) {
  if (find(channel.topic()) != &channel) return;  // already ended (or replaced by a rejoin)
  end_channel(channel, reason, "phx_close", JsonObject{});
}

void ChannelSocket::drop(JoinedChannel& channel) {
  pubsub_.unsubscribe(channel.topic(), &channel);
  channel.untrack_all();
  channel.settle_all();
  auto it = std::find_if(channels_.begin(), channels_.end(), [&](auto& c) { return c.get() == &channel; });
  if (it != channels_.end()) channels_.erase(it);
}

void ChannelSocket::handle_leave(JoinedChannel& channel, const InMessage& message) {
  std::string ref = remove(channel, "leave");
  reply(message, "ok", JsonObject{});
  send_text(encode_message(ref, ref, message.topic, "phx_close", JsonObject{}));
}

void ChannelSocket::handle_event(JoinedChannel& channel, const InMessage& message) {
  if (pending_replies_ >= static_cast<std::ptrdiff_t>(limits_.max_pending_replies)) {
    limits_.refused(net::Limit::socket_pending_replies);
    return reply(message, "error", JsonObject{{"reason", "too_many_pending_replies"}});
  }
  Payload payload;
  if (message.is_binary) payload.bytes = message.bytes;
  else payload.json = &message.payload;
  Reply r = Reply::none();
  auto keep = channel.shared_from_this();  // the handler may end its own channel
  try {
    channel.set_current(&message);
    r = channel.handler().handle_in(message.event, payload, channel);
    channel.set_current(nullptr);
  } catch (const std::exception& e) {
    channel.set_current(nullptr);
    crashed_line().event({{"topic", net::log_clip(message.topic)},
                          {"in_event", net::log_clip(message.event)},
                          {"error", net::log_clip(e.what())}});
    std::string ref = remove(channel, "crash");
    return send_text(encode_message(ref, ref, message.topic, "phx_error",
                                    JsonObject{{"reason", "channel_crash"}}));
  }
  channel.reply(ReplyTo{message.ref_json}, std::move(r));
}

std::string ChannelSocket::remove(JoinedChannel& channel, std::string_view reason) {
  std::string ref = channel.join_ref_json();
  pubsub_.unsubscribe(channel.topic(), &channel);
  try {
    channel.handler().terminate(reason, channel);
  } catch (const std::exception& e) {
    log::event(log::Category::channels, log::Level::error, "terminate_threw",
               {{"topic", net::log_clip(channel.topic())}, {"error", net::log_clip(e.what())}});
  }
  channel.untrack_all();
  channel.settle_all();
  auto it = std::find_if(channels_.begin(), channels_.end(), [&](auto& c) { return c.get() == &channel; });
  if (it != channels_.end()) channels_.erase(it);
  return ref;
}

void ChannelSocket::on_closed() {
  if (closed_) return;
  closed_ = true;
  transport_ = net::Transport{};  // nothing more can be sent
  while (!channels_.empty()) remove(*channels_.back(), "closed");
}

}  // namespace cohort::channels
