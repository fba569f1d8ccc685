// presence_shard.hpp — the authoritative presence of the topics one reactor owns.
//
// Owns: for each topic owned by its reactor (net::owner_of), every tracked meta with its owner
// id, and the diff being gathered for the next tick. Owner-thread-only: the Tracker posts every
// change here. Once per tick it hands each changed topic's diff to `publish`; a join and a
// leave of the same phx_ref within one tick cancel out and are never published.
// A big topic's tick stretches (period_for): a diff costs one delivery per subscriber, and on a
// presence topic the subscribers are about its keys, so a topic of k keys publishes at most
// every tick × ceil(k / kKeysPerTick) (at most max_stretch ticks: Config::presence_max_stretch,
// default kDefaultMaxStretch = 20; 1 never stretches). That bounds the deliveries a
// topic costs per second (about kKeysPerTick per tick), however big it grows: a 10,000-key
// room in a join storm publishes every 500 ms instead of flooding every socket every 50 ms.
// A change to a small topic still waits at most one tick.
// Limits (PresenceLimits; docs/security.md): a topic holds at most max_topic_entries metas and
// max_topic_bytes of them (each meta costs entry_cost: its key, its serialized meta, its phx_ref
// and the state's framing), so its presence_state always fits a joiner's outbound queue. A track
// or update that would pass them is dropped here and counted (the Tracker refuses most of them
// before they are posted, from its replica's usage; this is the bound that holds when several
// reactors race). usage() tells the Tracker where a topic stands when its diff is published.
// It must never touch another reactor's state: publishing is the Tracker's job.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/json.hpp"
#include "net/limit_counters.hpp"
#include "net/reactor.hpp"
#include "pubsub/topic_table.hpp"

namespace cohort::presence {

// What one topic may hold (Config::presence_max_meta_bytes, presence_max_topic_entries, and half
// of outbound_queue_limit), and where refusals are counted (null: not counted).
struct PresenceLimits {
  std::size_t max_entry_bytes = SIZE_MAX;  // key + serialized meta (without its phx_ref)
  std::size_t max_topic_entries = SIZE_MAX;
  std::size_t max_topic_bytes = SIZE_MAX;  // sum of entry_cost over the topic's metas
  net::LimitCounters* counters = nullptr;
  void refused(net::Limit limit) const {
    if (counters) counters->refused(limit);
  }
};

// A topic's metas and their cost in bytes (entry_cost).
struct TopicUsage {
  std::size_t entries = 0;
  std::size_t bytes = 0;
};

// What one meta adds to a topic's presence_state: its key and meta (entry_bytes: key size +
// serialized meta without phx_ref), the 16-character phx_ref with its member name, and the
// state's framing around a key ({"key":{"metas":[...]}}).
inline std::size_t entry_cost(std::size_t entry_bytes) { return entry_bytes + 48; }

class PresenceShard {
 public:
  using Publish = std::function<void(const std::string& topic, std::shared_ptr<const JsonObject> diff)>;

  PresenceShard(net::Reactor& reactor, std::chrono::milliseconds tick, Publish publish,
                std::size_t max_stretch = kDefaultMaxStretch, PresenceLimits limits = {});

  // meta must already carry its "phx_ref"; cost: its entry_cost. false: refused by a limit.
  bool track(std::uint64_t owner, const std::string& topic, const std::string& key, JsonObject meta,
             std::size_t cost = 0);
  // Replaces owner's metas of key with meta (which carries the new phx_ref). false: refused by
  // a limit (the old metas stay).
  bool update(std::uint64_t owner, const std::string& topic, const std::string& key, JsonObject meta,
              std::size_t cost = 0);
  void untrack(std::uint64_t owner, const std::string& topic, const std::string& key);

  std::size_t meta_count(const std::string& topic) const;
  // Where the shard counts its presence keys (cohort_presence_keys): shared by a node's shards.
  void count_keys_in(std::atomic<std::int64_t>* gauge) { keys_gauge_ = gauge; }
  TopicUsage usage(const std::string& topic) const;
  // How long a change to a topic of `keys` keys may wait: tick × min(max_stretch, ceil(keys / kKeysPerTick)), at least one tick.
  std::chrono::milliseconds period_for(std::size_t keys) const;

  // How many keys make a topic's period one tick longer, and the default longest period in ticks.
  static constexpr std::size_t kKeysPerTick = 1000;
  static constexpr std::size_t kDefaultMaxStretch = 20;

 private:
  struct Meta {
    std::uint64_t owner;
    JsonObject meta;  // includes phx_ref
    std::size_t cost = 0;
  };
  struct TopicState {
    std::unordered_map<std::string, std::vector<Meta>> keys;
    TopicUsage usage;
    JsonObject joins;   // the diff gathered since the last tick
    JsonObject leaves;
    bool dirty = false;
    std::chrono::steady_clock::time_point due{};  // when a dirty topic's diff is published
  };

  // The topic's state and the key's entry, or {nullptr, {}} when either is unknown.
  struct Found {
    TopicState* state = nullptr;
    std::unordered_map<std::string, std::vector<Meta>>::iterator entry;
  };
  Found find(const std::string& topic, const std::string& key);
  void add_join(TopicState& t, const std::string& key, const JsonObject& meta);
  void add_leave(TopicState& t, const std::string& key, const JsonObject& meta);
  void mark(const std::string& topic, TopicState& t);
  void arm(std::chrono::steady_clock::time_point when);
  void flush();
  // Whether usage may change by (entries, bytes) within the limits; counts the refusal if not.
  bool fits(const TopicUsage& usage, std::ptrdiff_t entries, std::ptrdiff_t bytes) const;
  void forget_if_empty(const std::string& topic);

  PresenceLimits limits_;
  std::atomic<std::int64_t>* keys_gauge_ = nullptr;
  std::chrono::milliseconds tick_;
  std::size_t max_stretch_;  // >= 1
  Publish publish_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;
  std::chrono::steady_clock::time_point armed_for_{};
  std::unordered_map<std::string, TopicState> topics_;
  std::vector<std::string> dirty_;
};

}  // namespace cohort::presence
