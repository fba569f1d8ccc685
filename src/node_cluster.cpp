// node_cluster.cpp — NodeCluster with the cluster layer (COHORT_WITH_CLUSTER=ON): the stores are
// ClusterStores over LocalStores, and join() makes the node one of a cluster (cluster/cluster.hpp).
// Teardown: stop() drops the Cluster (its links and timers live on reactor 0); the
// ClusterStores go last, with the NodeCluster, since the links' last callbacks route store calls.
#include "node_cluster.hpp"

#include "cluster/cluster.hpp"
#include "cluster/cluster_stores.hpp"

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

std::string NodeCluster::metrics_text() const {
  if (!impl_->cluster) return {};
  return "cohort_cluster_node_id " + std::to_string(impl_->cluster->node_id()) + "\n" +
         impl_->cluster->counters().text();
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

std::uint32_t NodeCluster::node_id() const { return impl_->cluster ? impl_->cluster->node_id() : 0; }

}  // namespace cohort
