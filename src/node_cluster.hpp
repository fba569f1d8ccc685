// node_cluster.hpp — what the node asks of the cluster layer, in one place, so that Cohort
// builds without it (CMake option COHORT_WITH_CLUSTER).
//
// Owns: the node's Stores as the rest of the node sees them (LocalStores alone, or routed per
// key owner in a cluster) and, once joined, the node's membership of the cluster.
// Two implementations, one linked: node_cluster.cpp (the cluster layer: Redis, key leases,
// PostgreSQL) and node_alone.cpp (no cluster: stores() is LocalStores itself, join() refuses).
// Config::validate already refuses --cluster and a postgresql:// --storage in a build without
// the cluster, so node_alone's refusal is a second line, never the first a user meets.
// Threads: construct, join, start, leave, stop on the thread that starts and stops the node.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cohort/config.hpp"
#include "cohort/json.hpp"
#include "cohort/storage.hpp"
#include "cohort/store.hpp"

namespace cohort {
namespace metrics {
class Scrape;
}
namespace net {
class ReactorSet;
}
namespace pubsub {
class LocalPubSub;
}
namespace presence {
class Tracker;
}
namespace store {
class LocalStores;
}

// Whether this build has the cluster (COHORT_WITH_CLUSTER).
extern const bool kClusterBuilt;

class NodeCluster {
 public:
  explicit NodeCluster(store::LocalStores& local);
  ~NodeCluster();

  // What Node::stores() gives: local, or routed to each key's owner once joined.
  Stores& stores();

  // Joins the cluster config.cluster names (nothing when it is empty), signing with a key
  // derived from the node secret; storage is the node's, open. An error says why not.
  std::optional<std::string> join(const Config& config, const std::string& secret, net::ReactorSet& reactors,
                                  pubsub::LocalPubSub& pubsub, presence::Tracker& presence, Storage* storage);
  void start();                                // once the reactors run
  void leave(std::chrono::milliseconds grace);  // shutting down: the others drop our presences
  void stop();                                 // the cluster's links go (before the storage)
  void collect(metrics::Scrape& scrape) const;  // the cluster's /metrics families (none alone)
  // Why the cluster makes this node unready (/readyz): its Redis links are not both up.
  // nullopt when linked, or alone. Any thread.
  std::optional<std::string> ready_problem() const;
  std::optional<std::uint32_t> node_id() const;  // this node's id once joined (nothing alone)
  // On reactor 0 (the cluster's reactor), for the node's status: {"enabled": false} alone; in a
  // cluster its node id, Redis, whether both links are up, the other nodes alive, counters.
  JsonObject status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort
