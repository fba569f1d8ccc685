// remote_presence.hpp — the presences other nodes own, as this node last heard them.
//
// Owns: per remote node, {topic: {key: {metas}}} and the sequence number of the last delta or
// digest applied. Pure logic, owner-thread-only (the cluster's reactor). Every call returns
// the presence_diffs ({joins, leaves} per topic) that bring this node's replicas from the old
// view to the new one; the caller hands them to the Tracker.
// Healing: deltas of a node arrive in its publish order (one Redis connection publishes them).
// A delta whose sequence is not last + 1, or a heartbeat announcing a sequence we have not
// applied, means something was missed (Redis outage, late join): the view is marked stale and
// the caller asks that node for a digest, which replaces the view wholesale (diffed, so the
// clients see only what really changed).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/json.hpp"

namespace cohort::cluster {

struct TopicDiff {
  std::string topic;
  JsonObject diff;  // {"joins": {...}, "leaves": {...}}
};

// The diff that turns presence state `from` into `to` (metas compared by phx_ref).
JsonObject state_diff(const JsonObject& from, const JsonObject& to);

class RemotePresence {
 public:
  // Applies node's delta. Returns the diff to publish locally (the delta itself). Sets
  // *in_order to false when seq was not the next one (the view is then stale until a digest).
  TopicDiff apply_delta(std::uint32_t node, std::uint64_t seq, const std::string& topic, const JsonObject& joins,
                        const JsonObject& leaves, bool* in_order);
  // Replaces node's view with its digest.
  std::vector<TopicDiff> apply_digest(std::uint32_t node, std::uint64_t seq, const JsonObject& topics);
  // node is gone: everything it owned leaves.
  std::vector<TopicDiff> drop_node(std::uint32_t node);

  // True when node's view is missing something up to seq (announced by a heartbeat).
  bool behind(std::uint32_t node, std::uint64_t seq) const;
  bool knows(std::uint32_t node) const { return nodes_.contains(node); }
  std::size_t meta_count(std::uint32_t node) const;

 private:
  struct NodeView {
    std::unordered_map<std::string, JsonObject> topics;
    std::uint64_t seq = 0;
    bool stale = true;  // no digest yet, or a gap since
  };
  std::unordered_map<std::uint32_t, NodeView> nodes_;
};

}  // namespace cohort::cluster
