// cluster.hpp — this node's membership in a cluster of Cohort nodes joined through Redis.
//
// Owns: the node's cluster id, its two Redis links (one publishes — so a node's messages keep
// one order — one subscribes), the distributed PubSub adapter and the presence replication,
// all driven by one reactor (the cluster reactor, reactor 0). Guarantees and failure
// behaviour: docs/cluster.md; in short, a broadcast reaches every subscriber on every node
// once, in publish order per publisher; presences replicate with deltas healed by digests; a
// silent node is declared down within down_after + heartbeat; while Redis is down local
// delivery goes on, cross-node messages are dropped and counted, and when it is back the
// interest set is re-SUBSCRIBEd and presence is re-synchronised by digests.
//
// Lifecycle (all on the node's constructing thread): join() before the reactors start (it
// blocks: resolves the Redis host and claims a node id with INCR <prefix>node_ids, so ids are
// unique among nodes that joined since Redis started); start() once the reactors run; leave()
// while they still run (publishes bye, waits for Redis to take it, at most `grace`); destroy
// after the reactors have stopped, before they are destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <variant>

#include "cluster/cluster_counters.hpp"
#include "cluster/presence_replication.hpp"
#include "cluster/redis_link.hpp"
#include "cluster/redis_pubsub_adapter.hpp"
#include "net/reactor.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"

namespace cohort::cluster {

struct ClusterSettings {
  std::string url;                  // redis://HOST:PORT
  std::string prefix = "cohort:";   // every key and channel the cluster uses starts with it
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds down_after{5000};
};

// "redis://HOST[:PORT][/]" → host (as written) and port, or an error message.
std::variant<RedisAddress, std::string> parse_redis_url(std::string_view url);

class Cluster {
 public:
  static std::variant<std::unique_ptr<Cluster>, std::string> join(const ClusterSettings& settings,
                                                                   net::ReactorSet& reactors,
                                                                   pubsub::LocalPubSub& pubsub,
                                                                   presence::Tracker& tracker);
  ~Cluster();

  std::uint32_t node_id() const { return node_id_; }
  void start();
  void leave(std::chrono::milliseconds grace);
  const ClusterCounters& counters() const { return counters_; }
  ClusterCounters& counters() { return counters_; }
  // For store leases and fencing: the node's command link (the one that publishes its
  // broadcasts, so a command sent on it is ordered after them) and the reactor it runs on.
  // Owner-thread-only: post to reactor() first.
  RedisLink& command_link() { return publisher_; }
  net::Reactor& reactor() { return reactor_; }
  const std::string& key_prefix() const { return settings_.prefix; }
  // Store routing (cluster_stores.hpp). Before start(): inbox gets every message on this node's
  // inbox channel, node_down every node declared down or gone, lifecycle(true) at start and
  // lifecycle(false) when the node leaves — all on the cluster reactor.
  void set_store_hooks(std::function<void(std::string_view)> inbox, std::function<void(std::uint32_t)> node_down,
                       std::function<void(bool)> lifecycle);
  std::string inbox(std::uint32_t node) const { return settings_.prefix + "n:" + std::to_string(node); }

 private:
  Cluster(const ClusterSettings& settings, RedisAddress address, std::uint32_t node_id, net::ReactorSet& reactors,
          pubsub::LocalPubSub& pubsub, presence::Tracker& tracker);
  void wire_links();
  void update_links();

  ClusterSettings settings_;
  std::uint32_t node_id_;
  net::Reactor& reactor_;
  ClusterCounters counters_;
  RedisLink publisher_;
  RedisLink subscriber_;
  RedisPubSubAdapter adapter_;
  PresenceReplication replication_;
  std::string control_channel_;
  std::string inbox_channel_;
  std::function<void(std::string_view)> inbox_fn_;
  std::function<void(bool)> lifecycle_fn_;
  bool both_up_ = false;
  bool was_up_once_ = false;  // a later "both up" ends an outage
};

}  // namespace cohort::cluster
