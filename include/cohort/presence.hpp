// cohort/presence.hpp — who is on a topic: keys with lists of metas, as phoenix.js Presence sees it.
//
// Data shape (PROTOCOL.md B). One user on two devices is one key with two metas, each with its
// own phx_ref:
//   {"alice": {"metas": [{"phx_ref": "AAAAAQAAAAAAAAAB", "device": "laptop"},
//                        {"phx_ref": "AAAAAQAAAAAAAAAC", "device": "phone"}]}}
// The key leaves only when its last meta goes.
//
// Consistency model: each topic's presence is owned by one reactor (owner_of(topic)), which
// applies track / update / untrack one at a time and, once per tick (Config::presence_tick_ms,
// default 50 ms), publishes what changed as ONE presence_diff {joins, leaves}: a join and a
// leave of the same phx_ref inside one tick cancel out, so a storm of N joins costs N/tick
// broadcasts, not N². A topic of k keys ticks every ceil(k / 1000) ticks (at most 20): each
// diff reaches every subscriber, so a 10,000-key room publishes every 500 ms and its diffs cost
// a bounded number of deliveries per second (presence_shard.hpp). Every reactor keeps a read-only replica of every topic, updated by the
// same diffs before they reach its sockets, so list() is answered on the caller's reactor
// without a round trip. A client pushed list() after its join and then the diffs never sees a
// change it cannot apply: at worst a diff repeats a join its state already holds (harmless:
// joins are idempotent by phx_ref) or leaves a meta it never saw (ignored).
// An update is a join of the new meta (new phx_ref, phx_ref_prev = old) and a leave of the
// old one, in one diff.
//
// Lifetime: presences belong to an owner id. A channel's presences are untracked when the
// channel ends (leave, close, crash, socket death), so a dead session disappears within
// idle_timeout_ms (a silent TCP peer) + one tick; a clean close within one tick.
// Server code can track presences not tied to a socket (a bot, a job) under its own owner id.
//
// In-process code (a live view, a dashboard) follows a topic's presence by calling list() and
// subscribing to the topic through PubSub: every change arrives as a "presence_diff" broadcast
// whose payload is {joins, leaves}, to be applied as presence_state.hpp's apply_diff does.
//
// Threads: every method must be called on a reactor thread. Changes are applied on the
// topic's owner reactor after the call returns.
//
// Cluster: phx_refs carry the node id (their first 4 bytes), so replicated entries from other
// nodes can be told apart and removed when their node dies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cohort/json.hpp"

namespace cohort {

class Presence {
 public:
  virtual ~Presence() = default;

  // A fresh owner id, unique on this node. Any thread.
  virtual std::uint64_t new_owner() = 0;

  // Adds a meta for key on topic and returns its phx_ref (tracking the same (owner, topic,
  // key) twice adds a second meta, as Phoenix does for a second tab).
  virtual std::string track(std::uint64_t owner, std::string_view topic, std::string_view key,
                            JsonObject meta) = 0;
  // Replaces the metas that owner tracks for key on topic; returns the new phx_ref.
  virtual std::string update(std::uint64_t owner, std::string_view topic, std::string_view key,
                             JsonObject meta) = 0;
  virtual void untrack(std::uint64_t owner, std::string_view topic, std::string_view key) = 0;
  // Everything owner tracks, on every topic.
  virtual void untrack_all(std::uint64_t owner) = 0;

  // This reactor's replica: {key: {"metas": [...]}}.
  virtual JsonObject list(std::string_view topic) const = 0;
};

}  // namespace cohort
