// cohort/presence.hpp — who is on a topic: keys with lists of metas, as phoenix.js Presence sees it.
//
// Data shape (docs/protocol.md, Presence). One user on two devices is one key with two metas, each with its
// own phx_ref:
//   {"alice": {"metas": [{"phx_ref": "AAAAAQAAAAAAAAAB", "device": "laptop"},
//                        {"phx_ref": "AAAAAQAAAAAAAAAC", "device": "phone"}]}}
// The key leaves only when its last meta goes.
//
// Consistency model: each topic's presence is owned by one reactor (owner_of(topic)), which
// applies track / update / untrack one at a time and, once per tick (Config::presence_tick_ms,
// default 50 ms), publishes what changed as ONE presence_diff {joins, leaves}: a join and a
// leave of the same phx_ref inside one tick cancel out, so a storm of N joins costs N/tick
// broadcasts, not N². A topic of k keys publishes once per period
//   P(k) = presence_tick_ms × min(presence_max_stretch, max(1, ceil(k / 1000)))
// (Config::presence_max_stretch, default 20; 1 = never stretch): each diff reaches every
// subscriber, so a 10,000-key room publishes every 500 ms and its diffs cost a bounded number
// of deliveries per second (presence_shard.hpp). Every reactor keeps a read-only replica of
// every topic, updated by the same diffs before they reach its sockets, so list() is answered
// on the caller's reactor without a round trip. A client pushed list() after its join and then
// the diffs never sees a change it cannot apply: at worst a diff repeats a join its state already holds (harmless:
// joins are idempotent by phx_ref) or leaves a meta it never saw (ignored).
// An update is a join of the new meta (new phx_ref, phx_ref_prev = old) and a leave of the
// old one, in one diff.
//
// Lifetime: presences belong to an owner id. A channel's presences are untracked when the
// channel ends (leave, close, crash, socket death); the diff with the leave is published:
//   - leave, clean close, crash, TCP FIN or reset: within P(k) of the server seeing it;
//   - a silent peer (frozen, cable cut, nothing sent): the idle sweep, which runs every 250 ms
//     on each reactor, closes a socket silent for more than idle_timeout_ms, so within
//     idle_timeout_ms + 250 ms of its last frame, then within P(k).
// k is the topic's key count when its pending diff was started (a change that joins a pending
// diff goes out with it, sooner). Defaults: P = 50 ms up to 1,000 keys, at most 1 s. Reaching
// the sockets then takes one post per reactor and the writes, which grow with load, not config.
// Server code can track presences not tied to a socket (a bot, a job) under its own owner id.
//
// In-process code (a bot, a dashboard, a job) follows a topic's presence with watch(topic, fn):
// fn gets the current list at once, then every change as it reaches the calling reactor's
// replica, with the change's joins and leaves and the list after it. The list IS that
// replica: no copy per watcher, never behind what that reactor's sockets were sent.
//
// Threads: every method must be called on a reactor thread. Changes are applied on the
// topic's owner reactor after the call returns. A watcher's fn runs on the reactor that called
// watch(), never concurrently with itself; the handle should be released on that reactor
// (released elsewhere, the removal is posted there and fn may run until it is done).
//
// Cluster: phx_refs carry the node id (their first 4 bytes), so replicated entries from other
// nodes can be told apart and removed when their node dies.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "cohort/json.hpp"

namespace cohort {

// What a presence watcher is told. The references are valid during the call only.
struct PresenceChange {
  const JsonObject& list;    // {key: {"metas": [...]}} after the change (this reactor's replica)
  const JsonObject& joins;   // {key: {"metas": [...]}} that joined, as in a presence_diff
  const JsonObject& leaves;  // {key: {"metas": [...]}} that left
  bool initial;              // the first call, from inside watch(): joins and leaves are empty
};
// Must not throw: an exception is reported on stderr and that change is lost to the watcher.
using PresenceWatcher = std::function<void(const PresenceChange&)>;

// The handle of a watch(): move-only; releasing it (reset() or destruction) stops the calls.
// Release it before the node it came from stops.
class PresenceWatch {
 public:
  PresenceWatch() = default;
  explicit PresenceWatch(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  PresenceWatch(PresenceWatch&& other) noexcept : cancel_(std::exchange(other.cancel_, nullptr)) {}
  PresenceWatch& operator=(PresenceWatch&& other) noexcept {
    if (this != &other) {
      reset();
      cancel_ = std::exchange(other.cancel_, nullptr);
    }
    return *this;
  }
  PresenceWatch(const PresenceWatch&) = delete;
  PresenceWatch& operator=(const PresenceWatch&) = delete;
  ~PresenceWatch() { reset(); }

  // On the watching reactor: no call of the watcher starts after this returns.
  void reset() {
    if (auto cancel = std::exchange(cancel_, nullptr)) cancel();
  }
  explicit operator bool() const { return static_cast<bool>(cancel_); }

 private:
  std::function<void()> cancel_;
};

class Presence {
 public:
  virtual ~Presence() = default;

  // A fresh owner id, unique on this node. Any thread.
  virtual std::uint64_t new_owner() = 0;

  // Adds a meta for key on topic and returns its phx_ref (tracking the same (owner, topic,
  // key) twice adds a second meta, as Phoenix does for a second tab). Returns "" and tracks
  // nothing when a limit refuses it: key + serialized meta over Config::presence_max_meta_bytes,
  // or a topic already at presence_max_topic_entries entries or at half of outbound_queue_limit
  // bytes (so every joiner can be sent its state). update() refuses an oversized meta the same way.
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

  // Follows topic's presence on the calling reactor: fn(initial change) runs before watch()
  // returns (the list as list() would give it), then once per change of that replica, in the
  // order every subscriber of the topic on this reactor sees the diffs. Nothing is missed
  // between the two: the first call and the registration happen in one step. Example:
  //   auto w = presence.watch("room:lobby", [&](const PresenceChange& c) {
  //     for (const auto& [key, _] : c.joins) greet(key);
  //     online = c.list.size();
  //   });
  virtual PresenceWatch watch(std::string_view topic, PresenceWatcher fn) = 0;
};

}  // namespace cohort
