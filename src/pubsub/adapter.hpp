// adapter.hpp — the seam between a node's PubSub and the cluster: what LocalPubSub tells the
// cluster layer (every local broadcast, every topic that gains or loses its last local
// subscriber), which feeds remote broadcasts back through LocalPubSub::deliver_remote. Without
// an adapter the node runs alone. Never part of the public API.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "cohort/pubsub.hpp"

namespace cohort::pubsub {

// Implemented by the cluster layer. Calls come from any thread.
class PubSubAdapter {
 public:
  virtual ~PubSubAdapter() = default;
  // A broadcast made on this node, to forward to the other nodes.
  virtual void publish(const std::shared_ptr<const Broadcast>& message) = 0;
  // The node gained its first (interested=true) or lost its last local subscriber of topic.
  // Called under PubSub's interest lock, in the order the changes happened: it must only
  // record or queue the change (no blocking, no call back into PubSub).
  virtual void interest_changed(std::string_view topic, bool interested) = 0;
  // Called after the interest change of a subscribe() on the same thread: calls ready (on any
  // thread) once the other nodes' broadcasts on topic reach this node.
  virtual void when_subscribed(std::string_view topic, std::function<void()> ready) = 0;
};

}  // namespace cohort::pubsub
