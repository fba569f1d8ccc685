// cluster_counters.hpp — what the cluster layer counts, readable from any thread (/metrics).
// Names and help texts of the cohort_cluster_* families: cluster_counters.cpp.
//
// Relaxed atomics: statistics only, never used to synchronise. Written on the cluster's
// reactor (and by publishers on any thread for `published`/`publish_dropped`).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "metrics/scrape.hpp"

namespace cohort::cluster {

struct ClusterCounters {
  std::atomic<std::uint64_t> published{0};          // broadcasts sent to Redis
  std::atomic<std::uint64_t> publish_dropped{0};    // broadcasts not sent: Redis down or backlog full
  std::atomic<std::uint64_t> received{0};           // broadcasts from other nodes delivered locally
  std::atomic<std::uint64_t> malformed{0};          // messages from Redis that did not decode
  std::atomic<std::uint64_t> presence_sent{0};      // presence deltas published
  std::atomic<std::uint64_t> presence_dropped{0};   // presence deltas not sent (healed by a digest)
  std::atomic<std::uint64_t> digests_sent{0};
  std::atomic<std::uint64_t> digests_applied{0};
  std::atomic<std::uint64_t> syncs_requested{0};    // gaps seen in another node's presence stream
  std::atomic<std::uint64_t> nodes_down{0};         // nodes declared down by silence
  std::atomic<std::uint64_t> link_downs{0};         // Redis connections lost
  std::atomic<std::uint64_t> links_up{0};           // gauge: 2 when both connections are up
  std::atomic<std::uint64_t> nodes_alive{0};        // gauge: other nodes heard from
  std::atomic<std::uint64_t> store_forwarded{0};    // store calls sent to the key's owner node
  std::atomic<std::uint64_t> store_answered{0};     // store calls served for other nodes
  std::atomic<std::uint64_t> store_keys_won{0};     // store keys this node took (first use or fail-over)
  std::atomic<std::uint64_t> store_keys_owned{0};   // gauge: keys whose lease this node holds
  std::atomic<std::uint64_t> store_renewals{0};     // key leases renewed
  std::atomic<std::uint64_t> store_unavailable{0};  // store calls failed: no owner reachable
  // Trust (cluster_seal.hpp): messages dropped before anything parsed them.
  std::atomic<std::uint64_t> dropped_unsigned{0};       // no seal: not from a node of this cluster
  std::atomic<std::uint64_t> dropped_bad_signature{0};  // a seal with a wrong tag: another secret, forged
  std::atomic<std::uint64_t> dropped_replayed{0};       // a good seal not newer than its sender's last
  std::atomic<std::uint64_t> dropped_stale{0};          // a good seal, first from its sender, too old
  std::atomic<std::uint64_t> redis_auth_refused{0};     // connections whose AUTH Redis refused

  // The cohort_cluster_* families of /metrics (cluster_counters.cpp). Any thread.
  void collect(metrics::Scrape& scrape) const;
};

inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

}  // namespace cohort::cluster
