// tracker.hpp — the node's Presence: owner shards, per-reactor replicas and owner indexes.
//
// Owns, per reactor: the PresenceShard of the topics that reactor owns, a read-only replica of
// every topic (with its encoded presence_state, built at most once per change), and the index
// owner id → (topic, key) of the presences tracked from that reactor (for untrack_all).
// Lock story: none. Each per-reactor part is owner-thread-only; changes travel as posts to the
// topic's owner reactor, and each published diff is posted to every reactor's replica before
// it is broadcast to the topic, so a replica is never behind the diffs its sockets have seen.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/presence.hpp"
#include "cohort/pubsub.hpp"
#include "net/reactor.hpp"
#include "presence/presence_shard.hpp"

namespace cohort::presence {

class Tracker final : public Presence {
 public:
  Tracker(net::ReactorSet& reactors, PubSub& pubsub, std::uint32_t node_id, std::chrono::milliseconds tick);
  ~Tracker() override;

  std::uint64_t new_owner() override { return next_owner_.fetch_add(1, std::memory_order_relaxed); }
  std::string track(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) override;
  std::string update(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) override;
  void untrack(std::uint64_t owner, std::string_view topic, std::string_view key) override;
  void untrack_all(std::uint64_t owner) override;
  JsonObject list(std::string_view topic) const override;

  // This reactor's presence_state payload for topic as JSON text, shared until it changes.
  std::shared_ptr<const std::string> encoded_state(std::string_view topic) const;

  // The pieces of one complete presence_state frame: head (the frame's text up to the payload,
  // e.g. `[JR,null,"room:x","presence_state",`) + this reactor's state + "]". The state bytes
  // are shared by every socket until the state changes; only the first piece is per call.
  // When the state text is at least deflate_min bytes the frame is compressed (RSV1): a stored
  // block with head, then the state compressed once per change, then "]" (see ws_deflate.hpp).
  std::vector<std::shared_ptr<const std::string>> state_frame(std::string_view topic, std::string_view head,
                                                              std::size_t deflate_min) const;

  // A new phx_ref: 12 bytes (node id, counter) as 16 url-safe base64 characters. Any thread.
  std::string new_ref();

 private:
  struct ReplicaTopic {
    JsonObject state;
    mutable std::shared_ptr<const std::string> encoded;   // null until asked after a change
    mutable std::shared_ptr<const std::string> deflated;  // encoded, compressed (tail kept); same rule
  };
  struct PerReactor;

  PerReactor& here() const;
  // encoded_state(topic) (passed as state) compressed, tail kept; shared until it changes.
  std::shared_ptr<const std::string> deflated_state(std::string_view topic, const std::string& state) const;
  void publish(const std::string& topic, std::shared_ptr<const JsonObject> diff);

  net::ReactorSet& reactors_;
  PubSub& pubsub_;
  std::uint32_t node_id_;
  std::atomic<std::uint64_t> next_owner_{1};
  std::atomic<std::uint64_t> next_ref_{1};
  std::vector<std::unique_ptr<PerReactor>> per_reactor_;
};

}  // namespace cohort::presence
