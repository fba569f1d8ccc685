// redis_pubsub_adapter.hpp — distributed PubSub: local broadcasts out to Redis, remote ones in.
//
// Owns: the node's interest set (topics with local subscribers) as Redis sees it, and the
// translation between Broadcast and the wire format (cluster_wire.hpp).
// Guarantees: a broadcast made on this node is PUBLISHed once, on `<prefix>t:<topic>`, sealed,
// through the node's Outbox (its one command link), in the order publish() was called per thread (posts to the
// cluster reactor are FIFO, and one connection keeps Redis's order), so every other node
// delivers a publisher's broadcasts in publish order. The node SUBSCRIBEs only to topics it has
// local subscribers for. on_message gets only messages whose seal the Cluster checked, never
// one from this node (it was delivered locally at publish time). Remote broadcasts go through PubSub::deliver_remote, which encodes the frame
// once per node.
// Threads: publish() and interest_changed() are any-thread (they only encode and post); the rest
// runs on the cluster reactor. Failure: while the command link is down a broadcast is counted in
// publish_dropped and not sent (local subscribers still got it); when the subscriber link comes
// back, resubscribe() re-SUBSCRIBEs the whole interest set.
// Subscription barrier: when_subscribed() answers once Redis has confirmed every SUBSCRIBE sent
// for the topic so far (Redis confirms in order on the subscriber connection, so a PUBLISH it
// receives after the confirmation reaches us). While the subscriber link is down it answers at
// once, and link_down() releases every waiter: nothing crosses nodes then, and a client must not
// hang on its join for that.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cluster/cluster_counters.hpp"
#include "cluster/outbox.hpp"
#include "cluster/redis_link.hpp"
#include "cohort/pubsub.hpp"
#include "net/reactor.hpp"
#include "pubsub/local_pubsub.hpp"

namespace cohort::cluster {

class RedisPubSubAdapter final : public pubsub::PubSubAdapter {
 public:
  RedisPubSubAdapter(net::Reactor& reactor, Outbox& outbox, RedisLink& subscriber, pubsub::LocalPubSub& pubsub,
                     std::uint32_t node_id, std::string prefix, ClusterCounters& counters);

  // PubSubAdapter (any thread).
  void publish(const std::shared_ptr<const Broadcast>& message) override;
  void interest_changed(std::string_view topic, bool interested) override;
  void when_subscribed(std::string_view topic, std::function<void()> ready) override;

  // Cluster reactor only.
  bool owns_channel(std::string_view channel) const { return channel.starts_with(topic_prefix_); }
  // A broadcast from node sender (its seal checked), without its seal.
  void on_message(std::string_view channel, std::uint32_t sender, std::string_view payload);
  void resubscribe();
  // After an outage: tells the local subscribers of every topic starting with topic_prefix
  // (the stores' "store:") with a local "resync" broadcast that what they were sent may have a
  // hole, so they read again by version (the store channel and live views do).
  void resync_local(std::string_view topic_prefix);
  // resync_local(topic_prefix) once every SUBSCRIBE sent so far is confirmed (at once if none is
  // pending): a client that reads again must read after its topic's broadcasts reach us again.
  void resync_when_subscribed(std::string topic_prefix);
  void on_subscribed(std::string_view channel);
  void link_down();

 private:
  net::Reactor& reactor_;
  Outbox& outbox_;
  RedisLink& subscriber_;
  pubsub::LocalPubSub& pubsub_;
  std::uint32_t node_id_;
  std::string topic_prefix_;  // "<prefix>t:"
  ClusterCounters& counters_;
  // Cluster reactor only, all keyed by Redis channel name.
  void subscribe(std::span<const std::string> channels);
  void release_waiters(const std::string& channel);
  std::unordered_set<std::string> interest_;
  std::unordered_map<std::string, unsigned> unconfirmed_;  // SUBSCRIBEs sent, not confirmed yet
  std::unordered_map<std::string, std::vector<std::function<void()>>> waiters_;
  std::optional<std::string> resync_prefix_;  // a resync waiting for every confirmation
};

}  // namespace cohort::cluster
