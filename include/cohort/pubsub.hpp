// cohort/pubsub.hpp — topics, subscribe / unsubscribe, broadcast, and the seam for the cluster.
//
// What it provides: a message published on a topic reaches every subscriber of that topic on
// this node exactly once, in publish order per publishing thread. broadcast_from skips one
// subscriber (the sender). Subscribing is synchronous: a broadcast published after subscribe()
// returns reaches the new subscriber.
//
// Threads: broadcast() is any-thread. subscribe() and unsubscribe() are owner-thread-only: they
// must run on a reactor thread, and the subscriber is then called on that same reactor, never
// concurrently with itself. A subscriber must unsubscribe (on its reactor) before it dies.
//
// Cost: a broadcast is encoded once (the WebSocket frame is built by the publisher, shared and
// immutable), then posted once to each reactor that has subscribers for the topic, never once
// per subscriber.
//
// Cluster: in a cluster every broadcast also reaches the subscribers of the other nodes
// (docs/cluster.md); the seam for that is internal to Cohort (src/pubsub/adapter.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cohort/json.hpp"

namespace cohort {

// One published message. Immutable once published; shared by every reactor it reaches.
struct Broadcast {
  std::string topic;
  std::string event;
  Json payload;              // the JSON payload (null when binary)
  std::string binary;        // the bytes of a binary broadcast
  bool is_binary = false;
  const void* from = nullptr;  // subscriber to skip (broadcast_from), or null
  // The wire frame for channel sockets, built once at publish time (see PubSub::set_encoder).
  std::shared_ptr<const std::string> frame;
};

// Something that receives broadcasts on its reactor thread.
class Subscriber {
 public:
  virtual ~Subscriber() = default;
  virtual void on_broadcast(const Broadcast& message) = 0;
};

class PubSub {
 public:
  virtual ~PubSub() = default;

  // Owner-thread-only (a reactor thread). Subscribing twice to one topic is a no-op.
  virtual void subscribe(std::string_view topic, Subscriber* subscriber) = 0;
  virtual void unsubscribe(std::string_view topic, Subscriber* subscriber) = 0;
  // Owner-thread-only, after subscribe(topic): runs ready on this reactor once a broadcast
  // published anywhere in the cluster from then on reaches the subscriber. Without a cluster
  // that is at once (inline); in a cluster, after Redis confirmed the node's subscription (or,
  // while the Redis link is down, at once: nothing crosses nodes then). A channel join is
  // answered only after this, so a client that saw its join reply misses no later shout.
  virtual void when_subscribed(std::string_view topic, std::function<void()> ready) = 0;

  // Any-thread. Delivers to every subscriber of topic on this node and, through the adapter,
  // on every other node. broadcast_from skips `from` (compared by address only).
  virtual void broadcast(std::string_view topic, std::string_view event, Json payload) = 0;
  virtual void broadcast_from(const void* from, std::string_view topic, std::string_view event,
                              Json payload) = 0;
  virtual void broadcast_binary(const void* from, std::string_view topic, std::string_view event,
                                std::string bytes) = 0;
};

}  // namespace cohort
