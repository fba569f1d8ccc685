// cluster_counters.cpp — the cohort_cluster_* families of /metrics: see cluster_counters.hpp.
#include "cluster/cluster_counters.hpp"

namespace cohort::cluster {

void ClusterCounters::collect(metrics::Scrape& s) const {
  auto n = [](const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); };
  auto counter = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
    s.counter(std::string("cohort_cluster_") + name, help, n(v));
  };
  counter("published_total", "Broadcasts sent to Redis for the other nodes.", published);
  counter("publish_dropped_total", "Broadcasts not sent to the other nodes: Redis down or the backlog full.",
          publish_dropped);
  counter("received_total", "Broadcasts from other nodes delivered here.", received);
  counter("malformed_total", "Messages from Redis that did not decode.", malformed);
  counter("presence_deltas_sent_total", "Presence deltas published to the other nodes.", presence_sent);
  counter("presence_deltas_dropped_total", "Presence deltas not sent (a later digest heals them).", presence_dropped);
  counter("digests_sent_total", "Presence digests sent.", digests_sent);
  counter("digests_applied_total", "Presence digests of other nodes applied.", digests_applied);
  counter("syncs_requested_total", "Gaps seen in another node's presence stream (a sync was asked for).",
          syncs_requested);
  counter("nodes_down_total", "Other nodes declared down by their silence.", nodes_down);
  counter("link_downs_total", "Redis connections lost.", link_downs);
  s.gauge("cohort_cluster_links_up", "Redis connections up now (2: publishing and subscribing).", n(links_up));
  s.gauge("cohort_cluster_nodes_alive", "Other nodes heard from within cluster_down_ms.", n(nodes_alive));
  s.gauge("cohort_cluster_nodes_up", "Nodes of the cluster up as this node sees them: itself and those heard from.",
          n(nodes_alive) + 1);
  counter("store_forwarded_total", "Store calls sent to the key's owner node.", store_forwarded);
  counter("store_answered_total", "Store calls served for other nodes.", store_answered);
  counter("store_keys_won_total", "Store keys this node took (first use or fail-over).", store_keys_won);
  s.gauge("cohort_cluster_store_keys_owned", "Store keys whose lease this node holds now.", n(store_keys_owned));
  counter("store_lease_renewals_total", "Store key leases renewed.", store_renewals);
  counter("store_unavailable_total", "Store calls failed because no owner of the key was reachable.", store_unavailable);
  counter("dropped_unsigned_total", "Cluster messages dropped: no seal (not from a node of this cluster).",
          dropped_unsigned);
  counter("dropped_bad_signature_total", "Cluster messages dropped: a seal with a wrong tag (another secret, forged).",
          dropped_bad_signature);
  counter("dropped_replayed_total", "Cluster messages dropped: a good seal not newer than its sender's last.",
          dropped_replayed);
  counter("dropped_stale_total", "Cluster messages dropped: a good seal, first from its sender, too old.", dropped_stale);
  counter("redis_auth_refused_total", "Redis connections whose AUTH Redis refused.", redis_auth_refused);
}

}  // namespace cohort::cluster
