// cluster_counters.hpp — what the cluster layer counts, readable from any thread (/metrics).
//
// Relaxed atomics: statistics only, never used to synchronise. Written on the cluster's
// reactor (and by publishers on any thread for `published`/`publish_dropped`).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

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

  // Prometheus text lines, "cohort_cluster_<name> <value>".
  std::string text() const {
    std::string out;
    auto line = [&](const char* name, const std::atomic<std::uint64_t>& v) {
      out += std::string("cohort_cluster_") + name + " " + std::to_string(v.load(std::memory_order_relaxed)) + "\n";
    };
    line("published_total", published);
    line("publish_dropped_total", publish_dropped);
    line("received_total", received);
    line("malformed_total", malformed);
    line("presence_deltas_sent_total", presence_sent);
    line("presence_deltas_dropped_total", presence_dropped);
    line("digests_sent_total", digests_sent);
    line("digests_applied_total", digests_applied);
    line("syncs_requested_total", syncs_requested);
    line("nodes_down_total", nodes_down);
    line("link_downs_total", link_downs);
    line("links_up", links_up);
    line("nodes_alive", nodes_alive);
    line("store_forwarded_total", store_forwarded);
    line("store_answered_total", store_answered);
    line("store_keys_won_total", store_keys_won);
    line("store_keys_owned", store_keys_owned);
    line("store_lease_renewals_total", store_renewals);
    line("store_unavailable_total", store_unavailable);
    line("dropped_unsigned_total", dropped_unsigned);
    line("dropped_bad_signature_total", dropped_bad_signature);
    line("dropped_replayed_total", dropped_replayed);
    line("dropped_stale_total", dropped_stale);
    line("redis_auth_refused_total", redis_auth_refused);
    return out;
  }
};

inline void bump(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }

}  // namespace cohort::cluster
