// tracker.hpp — the node's Presence: owner shards, per-reactor replicas and owner indexes.
//
// Owns, per reactor: the PresenceShard of the topics that reactor owns, a read-only replica of
// every topic (with its encoded presence_state, built at most once per change), and the index
// owner id → (topic, key) of the presences tracked from that reactor (for untrack_all).
// Lock story: none. Each per-reactor part is owner-thread-only; changes travel as posts to the
// topic's owner reactor, and each published diff is posted once to every reactor, where one
// handler applies it to the replica and then delivers it to that reactor's subscribers of the
// topic: a replica is never behind the diffs its sockets have seen, and a channel joining on
// that reactor (subscribe, then read the replica, in one handler) gets either the state with
// the change or the change itself, never neither. Presence watchers (watch()) are per reactor
// too (watchers.hpp): the same handler tells them, right after the replica changed, so a
// watcher's list is that replica and it follows the same diffs in the same order.
// Limits (PresenceLimits, presence_shard.hpp): track() and update() refuse, returning no
// phx_ref, a meta whose key + serialized meta is over max_entry_bytes, and track() one that
// would pass the topic's entry or byte bound as this reactor's replica last saw the topic's
// usage (this node's own entries; a cluster's other nodes count their own). The topic's owner
// shard enforces the bounds exactly; a track that passed here and loses a race there is dropped
// and counted. Every refusal is counted in net::LimitCounters.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/presence.hpp"
#include "cohort/pubsub.hpp"
#include "metrics/scrape.hpp"
#include "net/reactor.hpp"
#include "net/ws_deflate.hpp"
#include "presence/presence_shard.hpp"
#include "presence/watchers.hpp"
#include "pubsub/local_pubsub.hpp"

namespace cohort::presence {

class Tracker final : public Presence {
 public:
  // max_stretch: the longest period of a big topic, in ticks (presence_shard.hpp).
  // limits: what a meta and a topic may hold (none by default).
  Tracker(net::ReactorSet& reactors, pubsub::LocalPubSub& pubsub, std::uint32_t node_id, std::chrono::milliseconds tick,
          std::size_t max_stretch = PresenceShard::kDefaultMaxStretch, PresenceLimits limits = {});
  ~Tracker() override;

  std::uint64_t new_owner() override { return next_owner_.fetch_add(1, std::memory_order_relaxed); }
  // Both return "" when refused by a limit (see the file comment).
  std::string track(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) override;
  std::string update(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) override;
  void untrack(std::uint64_t owner, std::string_view topic, std::string_view key) override;
  void untrack_all(std::uint64_t owner) override;
  JsonObject list(std::string_view topic) const override;
  PresenceWatch watch(std::string_view topic, PresenceWatcher fn) override;

  // This reactor's presence_state payload for topic as JSON text (and, once asked, compressed),
  // shared until it changes: every joiner's presence_state frame references the same bytes
  // (net::ws::spliced_text_frame).
  const net::ws::SharedPayload& encoded_state(std::string_view topic) const;

  // Owner-thread: the `top` topics with the most presence keys in the calling reactor's replica
  // (every node's presences), as (topic, keys), most first. For the node's status, once a second.
  std::vector<std::pair<std::string, std::size_t>> largest_topics(std::size_t top) const;

  // A new phx_ref: 12 bytes (node id, counter) as 16 url-safe base64 characters. Any thread.
  std::string new_ref();

  // Cluster (src/cluster). Both setters before the reactors start. With a replication hook,
  // every diff this node's shards publish is also handed to it (on the shard's reactor), and
  // presence_diffs go to local subscribers only: the cluster carries presence to the other
  // nodes itself, as deltas and digests, so that their replicas learn it too.
  using Replicate = std::function<void(const std::string& topic, std::shared_ptr<const JsonObject> diff)>;
  void set_node_id(std::uint32_t node_id) { node_id_ = node_id; }
  void set_replication(Replicate replicate) { replicate_ = std::move(replicate); }
  // Any thread: a diff of presences another node owns; into every replica, then to local
  // subscribers as a presence_diff (same order as a local diff: replicas first).
  void apply_remote(const std::string& topic, std::shared_ptr<const JsonObject> diff);

  // cohort_presence_keys in /metrics. Any thread.
  void collect(metrics::Scrape& scrape) const;

 private:
  struct ReplicaTopic {
    JsonObject state;
    TopicUsage usage;  // this node's entries, as of the owner shard's last published diff
    mutable std::optional<net::ws::SharedPayload> encoded;  // none until asked after a change
  };
  struct PerReactor;

  PerReactor& here() const;
  void publish(const std::string& topic, std::shared_ptr<const JsonObject> diff, TopicUsage usage);
  // Into every reactor's replica, then to its local subscribers (one post per reactor). usage:
  // the topic's local usage after the diff (nothing for another node's diff).
  void apply_everywhere(const std::string& topic, const std::shared_ptr<const JsonObject>& diff,
                        std::optional<TopicUsage> usage);
  // The entry size (key + serialized meta) if meta is within max_entry_bytes; counts a refusal.
  std::optional<std::size_t> entry_bytes(std::string_view key, const JsonObject& meta) const;
  // Whether the topic, as this reactor's replica knows it, has room for one more entry of cost.
  bool room_for(PerReactor& here, std::string_view topic, std::size_t cost) const;

  net::ReactorSet& reactors_;
  pubsub::LocalPubSub& pubsub_;
  std::uint32_t node_id_;
  std::atomic<std::uint64_t> next_owner_{1};
  std::atomic<std::uint64_t> next_ref_{1};
  std::atomic<std::int64_t> keys_{0};  // presence keys over every shard (cohort_presence_keys)
  std::vector<std::unique_ptr<PerReactor>> per_reactor_;
  PresenceLimits limits_;
  Replicate replicate_;
};

}  // namespace cohort::presence
