// cluster.hpp — this node's membership in a cluster of Cohort nodes joined through Redis.
//
// Owns: the node's cluster id, its two Redis links (one publishes — so a node's messages keep
// one order — one subscribes), the distributed PubSub adapter and the presence replication,
// all driven by one reactor (the cluster reactor, reactor 0), and the trust between nodes:
// every message it sends is sealed with the cluster key (Outbox), every message it receives is
// checked (SealCheck) before anything parses it, and one that fails is dropped, counted in
// /metrics and logged at most once per kDropLogEvery. Guarantees and failure
// behaviour: docs/cluster.md; in short, a broadcast reaches every subscriber on every node
// once, in publish order per publisher; presences replicate with deltas healed by digests; a
// silent node is declared down within down_after + heartbeat; while Redis is down local
// delivery goes on, cross-node messages are dropped and counted, and when it is back the
// interest set is re-SUBSCRIBEd and presence is re-synchronised by digests.
//
// Lifecycle (all on the node's constructing thread): join() before the reactors start (it
// blocks: reads the Redis password file if there is one, resolves the Redis host, AUTHs and
// claims a node id with INCR <prefix>node_ids, so ids are unique among nodes that joined since
// Redis started; a refused password is an error naming the Redis, never showing the password); start() once the reactors run; leave()
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
#include "cluster/cluster_seal.hpp"
#include "cluster/outbox.hpp"
#include "cluster/presence_replication.hpp"
#include "cluster/redis_link.hpp"
#include "cluster/redis_pubsub_adapter.hpp"
#include "net/reactor.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"

namespace cohort::cluster {

struct ClusterSettings {
  std::string url;                  // redis://[[USER]:PASSWORD@]HOST[:PORT]
  std::string password_file;        // or the password in a file only the node's user can read
  std::string prefix = "cohort:";   // every key and channel the cluster uses starts with it
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds down_after{5000};
};

struct RedisTarget {
  RedisAddress address;  // host as written (join resolves it)
  RedisAuth auth;        // from the URL's userinfo, percent-decoded
};

// "redis://[[USER]:PASSWORD@]HOST[:PORT][/]" → where and as whom, or an error message (which
// shows the URL without its password). "redis://USER@HOST" leaves the password to a file.
std::variant<RedisTarget, std::string> parse_redis_url(std::string_view url);

class Cluster {
 public:
  // How often at most a dropped message, or Redis refusing our credentials, is logged.
  static constexpr std::chrono::seconds kDropLogEvery{10};

  // key: derive_cluster_key(the node secret); every node of the cluster must have the same.
  static std::variant<std::unique_ptr<Cluster>, std::string> join(const ClusterSettings& settings,
                                                                   const ClusterKey& key,
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
  // Owner-thread-only: post to reactor() first. Messages to other nodes go through outbox()
  // (sealed), never straight on the link.
  RedisLink& command_link() { return publisher_; }
  Outbox& outbox() { return outbox_; }
  net::Reactor& reactor() { return reactor_; }
  const std::string& key_prefix() const { return settings_.prefix; }
  // Cluster reactor only (the node's status): both Redis links up, the other nodes alive.
  bool links_up() const { return both_up_; }
  std::vector<std::uint32_t> members() const { return replication_.members(); }
  // "redis at HOST:PORT" (never a password).
  const std::string& redis_name() const { return redis_name_; }
  // Store routing (cluster_stores.hpp). Before start(): inbox gets every message on this node's
  // inbox channel whose seal is good (without the seal), node_down every node declared down or gone, lifecycle(true) at start and
  // lifecycle(false) when the node leaves — all on the cluster reactor.
  void set_store_hooks(std::function<void(std::string_view)> inbox, std::function<void(std::uint32_t)> node_down,
                       std::function<void(bool)> lifecycle);
  std::string inbox(std::uint32_t node) const { return settings_.prefix + "n:" + std::to_string(node); }

 private:
  Cluster(const ClusterSettings& settings, const RedisTarget& target, const ClusterKey& key, std::uint32_t node_id,
          net::ReactorSet& reactors, pubsub::LocalPubSub& pubsub, presence::Tracker& tracker);
  void wire_links();
  void update_links();
  void receive(std::string_view channel, std::string_view payload);
  void refuse(std::string_view channel, const Opened& opened);
  void credentials_refused(std::string_view link, std::string_view reason);

  ClusterSettings settings_;
  std::uint32_t node_id_;
  net::Reactor& reactor_;
  ClusterCounters counters_;
  RedisLink publisher_;
  RedisLink subscriber_;
  Outbox outbox_;
  SealCheck check_;
  std::string redis_name_;        // "redis at HOST:PORT", for log lines
  std::string redis_password_;    // scrubbed from anything Redis says before it is logged
  std::chrono::steady_clock::time_point drop_logged_{}, refusal_logged_{};
  std::uint64_t drops_unlogged_ = 0;
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
