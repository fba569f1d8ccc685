// local_pubsub.hpp — the node's PubSub: per-reactor topic tables plus the interest map.
//
// Owns: one TopicTable per reactor (each owner-thread-only) and the interest map
// topic → bit mask of reactors that have subscribers. Lock story: the interest map is the only
// shared structure; interest_mutex_ guards it. It is written when a reactor gains its first or
// loses its last subscriber of a topic (exclusive lock) and read once per broadcast (shared
// lock, held only to copy the mask). No lock is held while delivering or posting.
// Ordering: broadcasts posted from one thread reach each reactor in publish order, because
// each reactor runs its posted handlers in FIFO order.
// Fan-out time (cohort_broadcast_fanout_seconds): from a broadcast's publish() to the last of its
// reactors having handed it to every local subscriber; the reactors count down an atomic
// carried in the broadcast's own allocation, the last one observes. Broadcasts without local
// subscribers (forwarded to the cluster only) and presence diffs are not observed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/pubsub.hpp"
#include "metrics/histogram.hpp"
#include "metrics/scrape.hpp"
#include "pubsub/adapter.hpp"
#include "net/reactor.hpp"
#include "pubsub/topic_table.hpp"

namespace cohort::pubsub {

// Builds the wire frame of a broadcast once, for every channel socket (set by channels).
using FrameEncoder = std::function<std::shared_ptr<const std::string>(const Broadcast&)>;

class LocalPubSub final : public PubSub {
 public:
  static constexpr unsigned kMaxReactors = 64;  // one bit each in the interest mask

  explicit LocalPubSub(net::ReactorSet& reactors);

  // Configure before the reactors start.
  void set_encoder(FrameEncoder encoder) { encoder_ = std::move(encoder); }
  void set_adapter(PubSubAdapter* adapter) { adapter_ = adapter; }

  void subscribe(std::string_view topic, Subscriber* subscriber) override;
  void unsubscribe(std::string_view topic, Subscriber* subscriber) override;
  void when_subscribed(std::string_view topic, std::function<void()> ready) override;
  void broadcast(std::string_view topic, std::string_view event, Json payload) override;
  void broadcast_from(const void* from, std::string_view topic, std::string_view event,
                      Json payload) override;
  void broadcast_binary(const void* from, std::string_view topic, std::string_view event,
                        std::string bytes) override;
  // Any-thread. A broadcast that came from another node: local delivery only.
  void deliver_remote(Broadcast message);
  // Number of subscribers of topic on the calling reactor (owner-thread-only; for tests).
  std::size_t local_subscribers(std::string_view topic) const;
  // Owner-thread: the calling reactor's topic figures (TopicTable::figures).
  void local_figures(std::size_t top, std::string_view every, std::vector<TopicFigures>& out) const {
    local_table().figures(top, every, out);
  }
  // Any thread: whether some reactor of this node has a subscriber of topic (the interest map).
  bool has_subscribers(std::string_view topic) const;

  // Presence's path (the Tracker): a local-only message with its frame built once (any
  // thread), then delivered by the caller on each reactor with deliver_here (owner-thread: the
  // calling reactor's subscribers of message.topic), in the same handler that updates that
  // reactor's presence replica — so a joiner sees either the state with a change or the change.
  std::shared_ptr<const Broadcast> prepare(Broadcast message) const;
  void deliver_here(const Broadcast& message);

  // The fan-out histogram in /metrics. Any thread.
  void collect(metrics::Scrape& scrape) const;

 private:
  void publish(Broadcast message, bool forward);
  TopicTable& local_table() const;  // the calling reactor's table
  void set_interest(std::string_view topic, unsigned reactor, bool interested);

  net::ReactorSet& reactors_;
  std::vector<std::unique_ptr<TopicTable>> tables_;  // index = reactor index
  FrameEncoder encoder_;
  PubSubAdapter* adapter_ = nullptr;
  mutable std::shared_mutex interest_mutex_;
  std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>> interest_;
  metrics::Histogram fanout_seconds_{metrics::kLatencyBounds, metrics::kNanoseconds};
};

}  // namespace cohort::pubsub
