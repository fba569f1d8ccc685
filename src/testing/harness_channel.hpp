// harness_channel.hpp — one joined channel of a test harness: the ChannelContext its handler
// (an app's Channel, the store channel, or a live view's lv:<id>) talks to, with a socket's rules.
//
// Owns: the channel's handler (none for a live view, which holds the context itself), its
// subscription to its topic, presence it tracked (its own owner: untracked when it ends), the
// join's answer (a deferred join's broadcasts wait for it), replies given later, and its end
// (leave, close, crash: terminate once, then nothing more reaches the client). Everything the
// client would receive goes to `sink`, in order. Timers (after) are the harness's, on its held
// clock. Owner-thread-only: the harness's reactor.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cohort/channel.hpp"
#include "cohort/pubsub.hpp"
#include "cohort/testing.hpp"

namespace cohort::testing {

struct Runtime;

class HarnessChannel final : public ChannelContext, public Subscriber, public std::enable_shared_from_this<HarnessChannel> {
 public:
  using Sink = std::function<void(ChannelMessage)>;
  HarnessChannel(Runtime& runtime, std::string topic, JsonObject assigns, Sink sink);
  ~HarnessChannel() override;

  // An app's channel: subscribes, then runs the handler's join (an exception: the join fails).
  void join(std::unique_ptr<Channel> handler, const Json& params);
  std::optional<ChannelReply> join_reply() const { return join_reply_; }
  // A client push: the handler's reply (nullopt: none yet — reply_later).
  std::optional<ChannelReply> handle_in(const std::string& event, const Json& payload, std::uint64_t ref);
  std::optional<ChannelReply> later_reply(std::uint64_t ref) const;
  // Ends it (terminate with reason) unless it has ended.
  void end(std::string_view reason);
  bool ended() const { return ended_; }
  bool errored() const { return errored_; }
  const std::string& crash_reason() const { return crash_reason_; }

  // ChannelContext
  const std::string& topic() const override { return topic_; }
  const JsonObject& assigns() const override { return assigns_; }
  void push(std::string_view event, Json payload) override;
  void push_binary(std::string_view event, std::string_view bytes) override;
  void broadcast(std::string_view event, Json payload) override;
  void broadcast_from(std::string_view event, Json payload) override;
  void broadcast_binary(std::string_view event, std::string bytes, bool include_self) override;
  PubSub& pubsub() override;
  std::string track(std::string_view key, JsonObject meta) override;
  std::string update_presence(std::string_view key, JsonObject meta) override;
  void untrack(std::string_view key) override;
  void push_presence_state() override;
  Presence& presence() override;
  std::weak_ptr<ChannelContext> handle() override { return weak_from_this(); }
  void finish_join(JoinResult result) override;
  ReplyTo reply_later() override;
  void reply(const ReplyTo& to, Reply reply) override;
  void crash(std::string_view reason) override;
  void stop(std::string_view reason) override;
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override;

  // Subscriber
  void on_broadcast(const Broadcast& message) override;

 private:
  void answer_join(JoinResult result);
  void deliver(const Broadcast& message);
  static ChannelReply reply_of(const Reply& r);

  Runtime& runtime_;
  std::string topic_;
  JsonObject assigns_;
  Sink sink_;
  std::unique_ptr<Channel> handler_;
  std::uint64_t owner_ = 0;  // presence owner, made at the first track
  bool subscribed_ = false;
  std::optional<ChannelReply> join_reply_;
  std::vector<Broadcast> held_;  // broadcasts while a deferred join is pending
  std::optional<std::uint64_t> handling_;  // the push being handled
  std::map<std::uint64_t, ChannelReply> replies_;
  bool ended_ = false;
  bool errored_ = false;
  std::string crash_reason_;
};

}  // namespace cohort::testing
