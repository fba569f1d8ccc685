// tracker.cpp — the node's Presence: see tracker.hpp and cohort/presence.hpp.
#include "presence/tracker.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "auth/base64.hpp"
#include "presence/presence_state.hpp"

namespace cohort::presence {

struct Tracker::PerReactor {
  PerReactor(net::Reactor& r, std::chrono::milliseconds tick, PresenceShard::Publish publish, std::size_t max_stretch,
             const PresenceLimits& limits)
      : shard(r, tick, std::move(publish), max_stretch, limits) {}
  PresenceShard shard;
  std::unordered_map<std::string, ReplicaTopic, pubsub::StringHash, std::equal_to<>> replica;
  std::unordered_multimap<std::uint64_t, std::pair<std::string, std::string>> owned;  // owner → (topic, key)
  Watchers watchers;
};

namespace {
const JsonObject kNone;

// diff[side] as an object, or an empty one.
const JsonObject& side_of(const JsonObject& diff, std::string_view side) {
  auto* v = diff.if_contains(side);
  return v && v->is_object() ? v->get_object() : kNone;
}
}  // namespace

Tracker::Tracker(net::ReactorSet& reactors, pubsub::LocalPubSub& pubsub, std::uint32_t node_id, std::chrono::milliseconds tick,
                 std::size_t max_stretch, PresenceLimits limits)
    : reactors_(reactors), pubsub_(pubsub), node_id_(node_id), limits_(limits) {
  for (unsigned i = 0; i < reactors.size(); ++i)
    per_reactor_.push_back(std::make_unique<PerReactor>(
        reactors.at(i), tick,
        [this, i](const std::string& topic, std::shared_ptr<const JsonObject> diff) {
          // On reactor i, inside its shard's flush: the usage after this diff.
          publish(topic, std::move(diff), per_reactor_[i]->shard.usage(topic));
        },
        max_stretch, limits));
  for (auto& per : per_reactor_) per->shard.count_keys_in(&keys_);
}

void Tracker::collect(metrics::Scrape& scrape) const {
  scrape.gauge("cohort_presence_keys", "Presence keys tracked on this node now (a key may hold several metas).",
               static_cast<double>(keys_.load(std::memory_order_relaxed)));
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

std::optional<std::size_t> Tracker::entry_bytes(std::string_view key, const JsonObject& meta) const {
  std::size_t bytes = key.size() + json::serialize(meta).size();
  if (bytes <= limits_.max_entry_bytes) return bytes;
  limits_.refused(net::Limit::presence_meta_bytes);
  return std::nullopt;
}

bool Tracker::room_for(PerReactor& per, std::string_view topic, std::size_t cost) const {
  auto it = per.replica.find(topic);
  if (it == per.replica.end()) return true;
  const TopicUsage& u = it->second.usage;
  if (u.entries + 1 > limits_.max_topic_entries) {
    limits_.refused(net::Limit::presence_topic_entries);
    return false;
  }
  if (u.bytes + cost > limits_.max_topic_bytes) {
    limits_.refused(net::Limit::presence_topic_bytes);
    return false;
  }
  return true;
}

std::string Tracker::track(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) {
  PerReactor& per = here();
  auto bytes = entry_bytes(key, meta);
  if (!bytes || !room_for(per, topic, entry_cost(*bytes))) return {};
  std::string ref = new_ref();
  meta["phx_ref"] = ref;
  per.owned.emplace(owner, std::make_pair(std::string(topic), std::string(key)));
  unsigned o = net::owner_of(topic, reactors_.size());
  reactors_.at(o).post([shard = &per_reactor_[o]->shard, owner, t = std::string(topic), k = std::string(key),
                        m = std::move(meta), cost = entry_cost(*bytes)]() mutable {
    shard->track(owner, t, k, std::move(m), cost);
  });
  return ref;
}

std::string Tracker::update(std::uint64_t owner, std::string_view topic, std::string_view key, JsonObject meta) {
  auto bytes = entry_bytes(key, meta);
  if (!bytes) return {};
  std::string ref = new_ref();
  meta["phx_ref"] = ref;
  unsigned o = net::owner_of(topic, reactors_.size());
  reactors_.at(o).post([shard = &per_reactor_[o]->shard, owner, t = std::string(topic), k = std::string(key),
                        m = std::move(meta), cost = entry_cost(*bytes)]() mutable {
    shard->update(owner, t, k, std::move(m), cost);
  });
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

std::vector<std::pair<std::string, std::size_t>> Tracker::largest_topics(std::size_t top) const {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& [topic, t] : here().replica) {
    if (t.state.empty()) continue;
    out.emplace_back(topic, t.state.size());
  }
  auto more = [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); };
  const std::size_t n = std::min(top, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), out.end(), more);
  out.resize(n);
  return out;
}

PresenceWatch Tracker::watch(std::string_view topic, PresenceWatcher fn) {
  PerReactor& per = here();
  net::Reactor& reactor = *net::Reactor::current();
  std::string name(topic);
  auto entry = per.watchers.add(name, std::move(fn));
  // Registered and shown the replica in one step: no diff can fall in between.
  auto it = per.replica.find(topic);
  Watchers::call(*entry, topic, PresenceChange{it == per.replica.end() ? kNone : it->second.state, kNone, kNone, true});
  return PresenceWatch([watchers = &per.watchers, reactor = &reactor, name = std::move(name), entry]() mutable {
    if (net::Reactor::current() == reactor) return watchers->remove(name, entry);
    reactor->post([watchers, name = std::move(name), entry] { watchers->remove(name, entry); });
  });
}

const net::ws::SharedPayload& Tracker::encoded_state(std::string_view topic) const {
  thread_local const net::ws::SharedPayload kEmpty(std::make_shared<const std::string>("{}"));
  auto& replica = here().replica;
  auto it = replica.find(topic);
  if (it == replica.end()) return kEmpty;
  auto& topic_state = it->second;
  if (!topic_state.encoded)
    topic_state.encoded.emplace(std::make_shared<const std::string>(json::serialize(topic_state.state)));
  return *topic_state.encoded;
}

void Tracker::apply_everywhere(const std::string& topic, const std::shared_ptr<const JsonObject>& diff,
                               std::optional<TopicUsage> usage) {
  Broadcast m;
  m.topic = topic;
  m.event = "presence_diff";
  m.payload = *diff;
  auto message = pubsub_.prepare(std::move(m));  // the frame is built once
  for (unsigned i = 0; i < reactors_.size(); ++i)
    reactors_.at(i).post([per = per_reactor_[i].get(), pubsub = &pubsub_, topic, diff, message, usage] {
      // Replica first, then sockets and watchers, in one handler: see tracker.hpp.
      auto& entry = per->replica[topic];
      apply_diff(entry.state, *diff);
      if (usage) entry.usage = *usage;
      entry.encoded.reset();
      pubsub->deliver_here(*message);
      per->watchers.notify(topic, PresenceChange{entry.state, side_of(*diff, "joins"), side_of(*diff, "leaves"), false});
      if (entry.state.empty()) per->replica.erase(topic);
    });
}

void Tracker::publish(const std::string& topic, std::shared_ptr<const JsonObject> diff, TopicUsage usage) {
  apply_everywhere(topic, diff, usage);
  // Other nodes learn it from the cluster's replication, not from a PubSub broadcast.
  if (replicate_) replicate_(topic, std::move(diff));
}

void Tracker::apply_remote(const std::string& topic, std::shared_ptr<const JsonObject> diff) {
  apply_everywhere(topic, diff, std::nullopt);
}

}  // namespace cohort::presence
