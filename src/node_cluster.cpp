// node_cluster.cpp — NodeCluster with the cluster layer (COHORT_WITH_CLUSTER=ON): the stores are
// ClusterStores over LocalStores, and join() makes the node one of a cluster (cluster/cluster.hpp).
// Teardown: stop() drops the Cluster (its links and timers live on reactor 0); the
// ClusterStores go last, with the NodeCluster, since the links' last callbacks route store calls.
#include "node_cluster.hpp"

#include "cluster/cluster.hpp"
#include "cluster/cluster_stores.hpp"
#include "metrics/scrape.hpp"

namespace cohort {

const bool kClusterBuilt = true;

struct NodeCluster::Impl {
  explicit Impl(store::LocalStores& local) : routed(local) {}
  cluster::ClusterStores routed;
  std::unique_ptr<cluster::Cluster> cluster;  // null when the node runs alone
};

NodeCluster::NodeCluster(store::LocalStores& local) : impl_(std::make_unique<Impl>(local)) {}
NodeCluster::~NodeCluster() = default;

Stores& NodeCluster::stores() { return impl_->routed; }

std::optional<std::string> NodeCluster::join(const Config& config, const std::string& secret,
                                             net::ReactorSet& reactors, pubsub::LocalPubSub& pubsub,
                                             presence::Tracker& presence, Storage* storage) {
  if (config.cluster.empty()) return std::nullopt;
  cluster::ClusterSettings settings{.url = config.cluster,
                                    .password_file = config.cluster_password_file,
                                    .heartbeat = std::chrono::milliseconds(config.cluster_heartbeat_ms),
                                    .down_after = std::chrono::milliseconds(config.cluster_down_ms)};
  auto joined = cluster::Cluster::join(settings, cluster::derive_cluster_key(secret), reactors, pubsub, presence);
  if (auto* err = std::get_if<std::string>(&joined)) return *err;
  impl_->cluster = std::move(std::get<std::unique_ptr<cluster::Cluster>>(joined));
  impl_->routed.attach(*impl_->cluster, storage, /*shared_storage=*/!config.storage.empty(),
                       std::chrono::milliseconds(config.cluster_lease_ms),
                       std::chrono::milliseconds(config.cluster_key_idle_ms));
  return std::nullopt;
}

void NodeCluster::start() {
  if (impl_->cluster) impl_->cluster->start();
}

void NodeCluster::leave(std::chrono::milliseconds grace) {
  if (impl_->cluster) impl_->cluster->leave(grace);
}

void NodeCluster::stop() { impl_->cluster.reset(); }

std::optional<std::uint32_t> NodeCluster::node_id() const {
  if (!impl_->cluster) return std::nullopt;
  return impl_->cluster->node_id();
}

void NodeCluster::collect(metrics::Scrape& scrape) const {
  if (!impl_->cluster) return;
  scrape.gauge("cohort_cluster_node_id", "This node's id in the cluster (random at each start).",
               static_cast<double>(impl_->cluster->node_id()));
  impl_->cluster->counters().collect(scrape);
}

std::optional<std::string> NodeCluster::ready_problem() const {
  if (!impl_->cluster) return std::nullopt;
  const auto up = impl_->cluster->counters().links_up.load(std::memory_order_relaxed);
  if (up == 2) return std::nullopt;
  return "Redis not linked (" + std::to_string(up) + " of 2 connections up)";
}

JsonObject NodeCluster::status() const {
  const auto* c = impl_->cluster.get();
  if (!c) return JsonObject{{"enabled", false}};
  json::array members;
  for (auto id : c->members()) members.push_back(id);
  auto n = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  const auto& k = c->counters();
  return JsonObject{{"enabled", true},
                    {"node_id", c->node_id()},
                    {"redis", c->redis_name()},
                    {"links_up", c->links_up()},
                    {"members", std::move(members)},
                    {"published", n(k.published)},
                    {"received", n(k.received)},
                    {"publish_dropped", n(k.publish_dropped)},
                    {"link_downs", n(k.link_downs)},
                    {"store_keys_owned", n(k.store_keys_owned)}};
}


}  // namespace cohort
