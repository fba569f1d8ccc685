// membership.hpp — which other nodes are alive, from the heartbeats they publish.
//
// Owns: node id → the time it was last heard from. Pure logic with the time passed in (the
// tests drive it with a fake clock); owner-thread-only (the cluster's reactor).
// Rule: a node is alive from the first message heard from it until it has been silent for
// down_after (then expire() returns it once) or it says bye (forget). While this node's own
// subscriber link is down it hears nobody, so the caller stops calling expire() and, when the
// link is back, calls refresh_all(): an outage of Redis is not the death of every other node.
// Bound (docs/cluster.md): with heartbeats every H and expire() called every H, a node that
// dies is declared down at most down_after + H after its last heartbeat.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace cohort::cluster {

class Membership {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit Membership(std::chrono::milliseconds down_after) : down_after_(down_after) {}

  // A message from node at now. True when node was not alive before (new, or back).
  bool heard(std::uint32_t node, TimePoint now);
  // The nodes silent for longer than down_after; they are no longer alive.
  std::vector<std::uint32_t> expire(TimePoint now);
  // node left cleanly. True if it was alive.
  bool forget(std::uint32_t node) { return last_heard_.erase(node) > 0; }
  // Restarts every alive node's silence at now (after our own outage).
  void refresh_all(TimePoint now);

  bool alive(std::uint32_t node) const { return last_heard_.contains(node); }
  std::vector<std::uint32_t> nodes() const;

 private:
  std::chrono::milliseconds down_after_;
  std::unordered_map<std::uint32_t, TimePoint> last_heard_;
};

}  // namespace cohort::cluster
