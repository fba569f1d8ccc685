// harness_channel.cpp — a harness's joined channel: see harness_channel.hpp.
#include "testing/harness_channel.hpp"

#include "testing/runtime.hpp"

namespace cohort::testing {

HarnessChannel::HarnessChannel(Runtime& runtime, std::string topic, JsonObject assigns, Sink sink)
    : runtime_(runtime), topic_(std::move(topic)), assigns_(std::move(assigns)), sink_(std::move(sink)) {}

HarnessChannel::~HarnessChannel() {
  if (subscribed_) runtime_.pubsub.unsubscribe(topic_, this);
  if (owner_) runtime_.tracker.untrack_all(owner_);
}

void HarnessChannel::join(std::unique_ptr<Channel> handler, const Json& params) {
  handler_ = std::move(handler);
  runtime_.pubsub.subscribe(topic_, this);
  subscribed_ = true;
  JoinResult result;
  try {
    result = handler_->join(params, *this);
  } catch (const std::exception& e) {
    crash_reason_ = e.what();
    errored_ = true;
    join_reply_ = ChannelReply{"error", JsonObject{{"reason", "join crashed"}}};
    return end("crash");
  }
  if (!result.deferred) answer_join(std::move(result));
}

void HarnessChannel::answer_join(JoinResult result) {
  join_reply_ = ChannelReply{result.ok ? "ok" : "error", std::move(result.response)};
  if (!result.ok) return end("join refused");
  for (const auto& b : std::exchange(held_, {})) deliver(b);
}

void HarnessChannel::finish_join(JoinResult result) {
  if (!ended_ && !join_reply_) answer_join(std::move(result));
}

std::optional<ChannelReply> HarnessChannel::handle_in(const std::string& event, const Json& payload, std::uint64_t ref) {
  if (ended_ || !handler_) return ChannelReply{"error", JsonObject{{"reason", "unmatched topic"}}};
  handling_ = ref;
  Reply r = Reply::none();
  try {
    r = handler_->handle_in(event, Payload{&payload, {}}, *this);
  } catch (const std::exception& e) {
    handling_.reset();
    crash(e.what());
    return std::nullopt;
  }
  handling_.reset();
  if (r.kind() == Reply::Kind::none) return later_reply(ref);
  return reply_of(r);
}

std::optional<ChannelReply> HarnessChannel::later_reply(std::uint64_t ref) const {
  auto it = replies_.find(ref);
  return it == replies_.end() ? std::nullopt : std::optional(it->second);
}

ChannelReply HarnessChannel::reply_of(const Reply& r) {
  if (r.is_binary()) return ChannelReply{std::string(r.status()), JsonObject{{"binary", r.bytes()}}};
  return ChannelReply{std::string(r.status()), r.response()};
}

ReplyTo HarnessChannel::reply_later() {
  if (!handling_) throw Failure("reply_later() outside handle_in");
  return ReplyTo{std::to_string(*handling_)};
}

void HarnessChannel::reply(const ReplyTo& to, Reply r) {
  if (!ended_) replies_[std::stoull(to.ref_json)] = reply_of(r);
}

void HarnessChannel::end(std::string_view reason) {
  if (ended_) return;
  ended_ = true;
  if (subscribed_) runtime_.pubsub.unsubscribe(topic_, this);
  subscribed_ = false;
  if (handler_) {
    try {
      handler_->terminate(reason, *this);
    } catch (const std::exception&) {  // as a node: a throwing terminate ends the channel all the same
    }
  }
  if (owner_) runtime_.tracker.untrack_all(owner_);
  owner_ = 0;
}

void HarnessChannel::crash(std::string_view reason) {
  if (ended_) return;
  crash_reason_ = std::string(reason);
  errored_ = true;
  end("crash");
  sink_(ChannelMessage{topic_, "phx_error", JsonObject{}});
}

void HarnessChannel::stop(std::string_view reason) {
  if (ended_) return;
  end(reason);
  sink_(ChannelMessage{topic_, "phx_close", JsonObject{}});
}

void HarnessChannel::push(std::string_view event, Json payload) {
  if (!ended_) sink_(ChannelMessage{topic_, std::string(event), std::move(payload)});
}

void HarnessChannel::push_binary(std::string_view event, std::string_view bytes) {
  push(event, JsonObject{{"binary", bytes}});
}

void HarnessChannel::broadcast(std::string_view event, Json payload) { runtime_.pubsub.broadcast(topic_, event, std::move(payload)); }

void HarnessChannel::broadcast_from(std::string_view event, Json payload) {
  runtime_.pubsub.broadcast_from(this, topic_, event, std::move(payload));
}

void HarnessChannel::broadcast_binary(std::string_view event, std::string bytes, bool include_self) {
  runtime_.pubsub.broadcast_binary(include_self ? nullptr : this, topic_, event, std::move(bytes));
}

PubSub& HarnessChannel::pubsub() { return runtime_.pubsub; }
Presence& HarnessChannel::presence() { return runtime_.tracker; }

std::string HarnessChannel::track(std::string_view key, JsonObject meta) {
  if (!owner_) owner_ = runtime_.tracker.new_owner();
  return runtime_.tracker.track(owner_, topic_, key, std::move(meta));
}

std::string HarnessChannel::update_presence(std::string_view key, JsonObject meta) {
  if (!owner_) owner_ = runtime_.tracker.new_owner();
  return runtime_.tracker.update(owner_, topic_, key, std::move(meta));
}

void HarnessChannel::untrack(std::string_view key) {
  if (owner_) runtime_.tracker.untrack(owner_, topic_, key);
}

void HarnessChannel::push_presence_state() { push("presence_state", runtime_.tracker.list(topic_)); }

void HarnessChannel::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  runtime_.after(delay, [self = weak_from_this(), fn = std::move(fn)] {
    if (auto channel = self.lock(); channel && !channel->ended_) fn();
  });
}

void HarnessChannel::on_broadcast(const Broadcast& message) {
  if (ended_ || message.from == this) return;
  if (!join_reply_) return held_.push_back(message);
  deliver(message);
}

void HarnessChannel::deliver(const Broadcast& message) {
  if (handler_ && !handler_->deliver(message)) return;
  Json payload = message.is_binary ? Json(JsonObject{{"binary", message.binary}}) : message.payload;
  sink_(ChannelMessage{topic_, message.event, std::move(payload)});
}

}  // namespace cohort::testing
