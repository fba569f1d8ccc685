// local_pubsub.cpp — the node's PubSub: see local_pubsub.hpp.
#include "pubsub/local_pubsub.hpp"

#include <atomic>
#include <bit>
#include <cassert>
#include <chrono>
#include <mutex>
#include <stdexcept>

namespace cohort::pubsub {

LocalPubSub::LocalPubSub(net::ReactorSet& reactors) : reactors_(reactors) {
  if (reactors.size() > kMaxReactors)
    throw std::invalid_argument("PubSub supports at most 64 reactors");
  for (unsigned i = 0; i < reactors.size(); ++i) tables_.push_back(std::make_unique<TopicTable>());
}

TopicTable& LocalPubSub::local_table() const {
  net::Reactor* r = net::Reactor::current();
  if (r == nullptr) throw std::logic_error("PubSub subscribe/unsubscribe called off a reactor thread");
  return *tables_[r->index()];
}

void LocalPubSub::subscribe(std::string_view topic, Subscriber* subscriber) {
  if (local_table().add(topic, subscriber))
    set_interest(topic, net::Reactor::current()->index(), true);
}

void LocalPubSub::unsubscribe(std::string_view topic, Subscriber* subscriber) {
  if (local_table().remove(topic, subscriber))
    set_interest(topic, net::Reactor::current()->index(), false);
}

void LocalPubSub::when_subscribed(std::string_view topic, std::function<void()> ready) {
  if (!adapter_) return ready();
  net::Reactor* here = net::Reactor::current();
  if (here == nullptr) throw std::logic_error("PubSub when_subscribed called off a reactor thread");
  adapter_->when_subscribed(topic, [here, ready = std::move(ready)]() mutable { here->post(std::move(ready)); });
}

std::size_t LocalPubSub::local_subscribers(std::string_view topic) const {
  return local_table().count(topic);
}

bool LocalPubSub::has_subscribers(std::string_view topic) const {
  std::shared_lock lock(interest_mutex_);
  return interest_.find(topic) != interest_.end();
}

void LocalPubSub::set_interest(std::string_view topic, unsigned reactor, bool interested) {
  // The adapter hears about a change under the lock, so two reactors racing (one losing the
  // last subscriber, one gaining the first) cannot reach it in the opposite order.
  std::unique_lock lock(interest_mutex_);
  auto it = interest_.find(topic);
  std::uint64_t bit = std::uint64_t{1} << reactor;
  bool node_changed = false;
  if (interested) {
    if (it == interest_.end()) {
      interest_.emplace(std::string(topic), bit);
      node_changed = true;
    } else {
      it->second |= bit;
    }
  } else if (it != interest_.end()) {
    it->second &= ~bit;
    if (it->second == 0) {
      interest_.erase(it);
      node_changed = true;
    }
  }
  if (node_changed && adapter_) adapter_->interest_changed(topic, interested);
}

void LocalPubSub::broadcast(std::string_view topic, std::string_view event, Json payload) {
  broadcast_from(nullptr, topic, event, std::move(payload));
}

void LocalPubSub::broadcast_from(const void* from, std::string_view topic, std::string_view event,
                                 Json payload) {
  Broadcast m;
  m.topic = topic;
  m.event = event;
  m.payload = std::move(payload);
  m.from = from;
  publish(std::move(m), true);
}

void LocalPubSub::broadcast_binary(const void* from, std::string_view topic,
                                   std::string_view event, std::string bytes) {
  Broadcast m;
  m.topic = topic;
  m.event = event;
  m.binary = std::move(bytes);
  m.is_binary = true;
  m.from = from;
  publish(std::move(m), true);
}

void LocalPubSub::deliver_remote(Broadcast message) {
  message.from = nullptr;
  message.frame.reset();
  publish(std::move(message), false);
}

std::shared_ptr<const Broadcast> LocalPubSub::prepare(Broadcast message) const {
  if (encoder_ && !message.frame) message.frame = encoder_(message);
  return std::make_shared<const Broadcast>(std::move(message));
}

void LocalPubSub::deliver_here(const Broadcast& message) { local_table().deliver(message); }

namespace {
// A broadcast on its way to the reactors: when it started, and how many reactors still deliver it.
struct Fanout {
  // A constructor, not an aggregate: make_shared's parenthesised aggregate initialisation is
  // C++20 that clang 14 (the sanitizer build) does not have.
  Fanout(Broadcast m, std::chrono::steady_clock::time_point s) : message(std::move(m)), start(s) {}
  Broadcast message;
  std::chrono::steady_clock::time_point start;
  std::atomic<unsigned> remaining{0};
};
}  // namespace

void LocalPubSub::publish(Broadcast message, bool forward) {
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t mask = 0;
  {
    std::shared_lock lock(interest_mutex_);
    auto it = interest_.find(message.topic);
    if (it != interest_.end()) mask = it->second;
  }
  if (mask == 0 && !(forward && adapter_)) return;
  if (encoder_ && !message.frame) message.frame = encoder_(message);
  auto fanout = std::make_shared<Fanout>(std::move(message), start);
  fanout->remaining.store(static_cast<unsigned>(std::popcount(mask)), std::memory_order_relaxed);
  std::shared_ptr<const Broadcast> shared(fanout, &fanout->message);  // the same allocation
  for (unsigned i = 0; mask != 0; ++i, mask >>= 1) {
    if (!(mask & 1)) continue;
    TopicTable* table = tables_[i].get();
    reactors_.at(i).post([this, table, fanout] {
      table->deliver(fanout->message);
      if (fanout->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1)
        fanout_seconds_.observe_duration(std::chrono::steady_clock::now() - fanout->start);
    });
  }
  if (forward && adapter_) adapter_->publish(shared);
}

void LocalPubSub::collect(metrics::Scrape& scrape) const {
  scrape.histogram("cohort_broadcast_fanout_seconds",
                   "Time from a broadcast published on this node to the last local subscriber handed its frame.",
                   fanout_seconds_);
}

}  // namespace cohort::pubsub
