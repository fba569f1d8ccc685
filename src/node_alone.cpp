// node_alone.cpp — NodeCluster without the cluster layer (COHORT_WITH_CLUSTER=OFF): the node always
// runs alone, its stores are LocalStores itself, and it links neither hiredis nor libpq.
#include "node_cluster.hpp"

#include "store/local_stores.hpp"

namespace cohort {

const bool kClusterBuilt = false;

struct NodeCluster::Impl {
  store::LocalStores& local;
};

NodeCluster::NodeCluster(store::LocalStores& local) : impl_(std::make_unique<Impl>(Impl{local})) {}
NodeCluster::~NodeCluster() = default;

Stores& NodeCluster::stores() { return impl_->local; }

std::optional<std::string> NodeCluster::join(const Config& config, const std::string&, net::ReactorSet&,
                                             pubsub::LocalPubSub&, presence::Tracker&, Storage*) {
  if (config.cluster.empty()) return std::nullopt;
  return "cluster is set, but this Cohort was built without the cluster (COHORT_WITH_CLUSTER=OFF)";
}

void NodeCluster::start() {}
void NodeCluster::leave(std::chrono::milliseconds) {}
void NodeCluster::stop() {}
void NodeCluster::collect(metrics::Scrape&) const {}
std::optional<std::string> NodeCluster::ready_problem() const { return std::nullopt; }
std::optional<std::uint32_t> NodeCluster::node_id() const { return std::nullopt; }
JsonObject NodeCluster::status() const { return JsonObject{{"enabled", false}}; }

}  // namespace cohort
