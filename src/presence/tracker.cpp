// tracker.cpp — the node's Presence: see tracker.hpp and cohort/presence.hpp.
#include "presence/tracker.hpp"

#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "auth/base64.hpp"
#include "presence/presence_state.hpp"

namespace cohort::presence {

struct Tracker::PerReactor {
  PerReactor(net::Reactor& r, std::chrono::milliseconds tick, PresenceShard::Publish publish)
      : shard(r, tick, std::move(publish)) {}
  PresenceShard shard;
  std::unordered_map<std::string, ReplicaTopic, pubsub::StringHash, std::equal_to<>> replica;
  std::unordered_multimap<std::uint64_t, std::pair<std::string, std::string>> owned;  // owner → (topic, key)
};

Tracker::Tracker(net::ReactorSet& reactors, pubsub::LocalPubSub& pubsub, std::uint32_t node_id, std::chrono::milliseconds tick)
    : reactors_(reactors), pubsub_(pubsub), node_id_(node_id) {
  for (unsigned i = 0; i < reactors.size(); ++i)
    per_reactor_.push_back(std::make_unique<PerReactor>(
        reactors.at(i), tick, [this](const std::string& topic, std::shared_ptr<const JsonObject> diff) {
          publish(topic, std::move(diff));
        }));
}

Tracker::~Tracker() = default;

Tracker::PerReactor& Tracker::here() const {
  net::Reactor* r = net::Reactor::current();
  if (!r) throw std::logic_error("Presence used off a reactor thread");
  return *per_reactor_[r->index()];
}

std::string Tracker::new_ref() {
  unsigned char raw[12];
  std::uint64_t n = next_ref_.fetch_add(1, std::memory_order_relaxed);
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<unsigned char>(node_id_ >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) raw[4 + i] = static_cast<unsigned char>(n >> (56 - 8 * i));
  return auth::encode_url(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

std::string Tracker::track(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) {
  std::string ref = new_ref();
  meta["phx_ref"] = ref;
  here().owned.emplace(owner, std::make_pair(std::string(topic), std::string(key)));
  unsigned o = net::owner_of(topic, reactors_.size());
  reactors_.at(o).post([shard = &per_reactor_[o]->shard, owner, t = std::string(topic), k = std::string(key),
                        m = std::move(meta)]() mutable { shard->track(owner, t, k, std::move(m)); });
  return ref;
}

std::string Tracker::update(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) {
  std::string ref = new_ref();
  meta["phx_ref"] = ref;
  unsigned o = net::owner_of(topic, reactors_.size());
  reactors_.at(o).post([shard = &per_reactor_[o]->shard, owner, t = std::string(topic), k = std::string(key),
                        m = std::move(meta)]() mutable { shard->update(owner, t, k, std::move(m)); });
  return ref;
}

void Tracker::untrack(std::uint64_t owner, std::string_view topic, std::string_view key) {
  auto& owned = here().owned;
  auto [first, last] = owned.equal_range(owner);
  for (auto it = first; it != last;)
    it = (it->second.first == topic && it->second.second == key) ? owned.erase(it) : std::next(it);
  unsigned o = net::owner_of(topic, reactors_.size());
  reactors_.at(o).post([shard = &per_reactor_[o]->shard, owner, t = std::string(topic), k = std::string(key)] {
    shard->untrack(owner, t, k);
  });
}

void Tracker::untrack_all(std::uint64_t owner) {
  auto& owned = here().owned;
  auto [first, last] = owned.equal_range(owner);
  std::vector<std::pair<std::string, std::string>> entries;
  for (auto it = first; it != last; ++it) entries.push_back(it->second);
  owned.erase(owner);
  for (auto& [topic, key] : entries) {
    unsigned o = net::owner_of(topic, reactors_.size());
    reactors_.at(o).post([shard = &per_reactor_[o]->shard, owner, t = std::move(topic), k = std::move(key)] {
      shard->untrack(owner, t, k);
    });
  }
}

JsonObject Tracker::list(std::string_view topic) const {
  auto& replica = here().replica;
  auto it = replica.find(topic);
  return it == replica.end() ? JsonObject{} : it->second.state;
}

std::shared_ptr<const std::string> Tracker::encoded_state(std::string_view topic) const {
  static const auto kEmpty = std::make_shared<const std::string>("{}");
  auto& replica = here().replica;
  auto it = replica.find(topic);
  if (it == replica.end()) return kEmpty;
  if (!it->second.encoded) it->second.encoded = std::make_shared<const std::string>(json::serialize(it->second.state));
  return it->second.encoded;
}

void Tracker::apply_everywhere(const std::string& topic, const std::shared_ptr<const JsonObject>& diff) {
  Broadcast m;
  m.topic = topic;
  m.event = "presence_diff";
  m.payload = *diff;
  auto message = pubsub_.prepare(std::move(m));  // the frame is built once
  for (unsigned i = 0; i < reactors_.size(); ++i)
    reactors_.at(i).post([per = per_reactor_[i].get(), pubsub = &pubsub_, topic, diff, message] {
      // Replica first, then sockets, in one handler: see tracker.hpp.
      auto& entry = per->replica[topic];
      apply_diff(entry.state, *diff);
      entry.encoded.reset();
      if (entry.state.empty()) per->replica.erase(topic);
      pubsub->deliver_here(*message);
    });
}

void Tracker::publish(const std::string& topic, std::shared_ptr<const JsonObject> diff) {
  apply_everywhere(topic, diff);
  // Other nodes learn it from the cluster's replication, not from a PubSub broadcast.
  if (replicate_) replicate_(topic, std::move(diff));
}

void Tracker::apply_remote(const std::string& topic, std::shared_ptr<const JsonObject> diff) {
  apply_everywhere(topic, diff);
}

}  // namespace cohort::presence
