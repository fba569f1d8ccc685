// redis_pubsub_adapter.cpp — distributed PubSub over Redis: see redis_pubsub_adapter.hpp.
#include "cluster/redis_pubsub_adapter.hpp"

#include <utility>
#include <variant>
#include <vector>

#include "cluster/cluster_wire.hpp"

namespace cohort::cluster {

namespace {
constexpr std::size_t kSubscribeBatch = 1000;  // channels per SUBSCRIBE when resubscribing
}

RedisPubSubAdapter::RedisPubSubAdapter(net::Reactor& reactor, Outbox& outbox, RedisLink& subscriber,
                                       pubsub::LocalPubSub& pubsub, std::uint32_t node_id, std::string prefix,
                                       ClusterCounters& counters)
    : reactor_(reactor), outbox_(outbox), subscriber_(subscriber), pubsub_(pubsub), node_id_(node_id),
      topic_prefix_(std::move(prefix) + "t:"), counters_(counters) {}

void RedisPubSubAdapter::publish(const std::shared_ptr<const Broadcast>& message) {
  // Encoded on the publishing thread; the seal (its stamp must follow the order of the
  // PUBLISHes) and the PUBLISH run on the cluster reactor.
  std::string bytes = unsealed_message(message->event.size() + message->binary.size() + 64);
  append_broadcast(bytes, node_id_, *message);
  reactor_.post([this, channel = topic_prefix_ + message->topic, bytes = std::move(bytes)]() mutable {
    if (outbox_.publish_prepared(channel, bytes)) bump(counters_.published);
    else bump(counters_.publish_dropped);
  });
}

void RedisPubSubAdapter::interest_changed(std::string_view topic, bool interested) {
  // Called under PubSub's interest lock: only queue. Posts keep the order of the changes.
  reactor_.post([this, channel = topic_prefix_ + std::string(topic), interested] {
    bool changed = interested ? interest_.insert(channel).second : interest_.erase(channel) > 0;
    if (!changed || !subscriber_.connected()) return;
    if (interested) subscribe(std::span(&channel, 1));
    else subscriber_.subscribe(std::span(&channel, 1), false);
  });
}

void RedisPubSubAdapter::when_subscribed(std::string_view topic, std::function<void()> ready) {
  // Posted after the interest change of the same subscribe(), so it sees that SUBSCRIBE counted.
  reactor_.post([this, channel = topic_prefix_ + std::string(topic), ready = std::move(ready)]() mutable {
    if (!subscriber_.connected() || !unconfirmed_.contains(channel)) return ready();
    waiters_[channel].push_back(std::move(ready));
  });
}

void RedisPubSubAdapter::subscribe(std::span<const std::string> channels) {
  if (!subscriber_.subscribe(channels, true)) return;
  for (const auto& channel : channels) ++unconfirmed_[channel];
}

void RedisPubSubAdapter::on_subscribed(std::string_view channel) {
  auto it = unconfirmed_.find(std::string(channel));
  if (it == unconfirmed_.end()) return;  // the control channel, or from before a reconnect
  if (--it->second > 0) return;
  std::string name = std::move(it->first);
  unconfirmed_.erase(it);
  release_waiters(name);
  if (unconfirmed_.empty() && resync_prefix_) resync_local(*std::exchange(resync_prefix_, std::nullopt));
}

void RedisPubSubAdapter::release_waiters(const std::string& channel) {
  auto w = waiters_.find(channel);
  if (w == waiters_.end()) return;
  auto ready = std::move(w->second);
  waiters_.erase(w);
  for (auto& fn : ready) fn();
}

void RedisPubSubAdapter::link_down() {
  unconfirmed_.clear();
  auto all = std::move(waiters_);
  waiters_.clear();
  for (auto& [channel, ready] : all)
    for (auto& fn : ready) fn();
}

void RedisPubSubAdapter::resync_local(std::string_view topic_prefix) {
  std::string prefix = topic_prefix_ + std::string(topic_prefix);
  for (const auto& channel : interest_) {
    if (!channel.starts_with(prefix)) continue;
    Broadcast b;
    b.topic = channel.substr(topic_prefix_.size());
    b.event = "resync";
    b.payload = JsonObject{{"reason", "cluster link restored: broadcasts may have been lost"}};
    pubsub_.deliver_remote(std::move(b));
  }
}

void RedisPubSubAdapter::resync_when_subscribed(std::string topic_prefix) {
  if (unconfirmed_.empty()) return resync_local(topic_prefix);
  resync_prefix_ = std::move(topic_prefix);
}

void RedisPubSubAdapter::resubscribe() {
  std::vector<std::string> batch;
  for (const auto& channel : interest_) {
    batch.push_back(channel);
    if (batch.size() == kSubscribeBatch) {
      subscribe(batch);
      batch.clear();
    }
  }
  if (!batch.empty()) subscribe(batch);
}

void RedisPubSubAdapter::on_message(std::string_view channel, std::uint32_t sender, std::string_view payload) {
  std::string_view topic = channel.substr(topic_prefix_.size());
  auto decoded = decode_broadcast(topic, payload);
  // A broadcast that names another node than its seal's was not made by this code: dropped.
  if (std::holds_alternative<WireError>(decoded) || std::get<WireBroadcast>(decoded).node != sender) {
    bump(counters_.malformed);
    return;
  }
  auto& wire = std::get<WireBroadcast>(decoded);
  // A message can still arrive just after the last local subscriber left; PubSub then finds
  // no reactor to post to and drops it, which is right.
  bump(counters_.received);
  pubsub_.deliver_remote(std::move(wire.message));
}

}  // namespace cohort::cluster
