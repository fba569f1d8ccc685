// local_stores.hpp — the node's Stores: kinds, and one shard of key authorities per reactor.
//
// Owns: the store kinds (read-only once the node starts), and per reactor (a Shard) the
// KeyAuthority of every key of that reactor (net::owner_of) that is in memory, the keys being
// read from storage with the calls waiting for them, and the keys' recency. Keys come and go:
//   - a call for a cold key queues it with the KeyLoader (its own thread: a reactor never waits
//     for storage) and waits in the shard; every call for that key meanwhile waits for the same
//     read, and they all run, in arrival order, on the key's reactor once it is in;
//   - a key that does not exist (version 0: nothing stored) is dropped as soon as it is quiet;
//     a view_existing() of it answers "not_found";
//   - a key with no follower on this node (set_followed), no lock, nothing queued or uncommitted
//     (KeyAuthority::quiet) and no use for Residency::idle is unloaded by the shard's idle sweep;
//   - a shard holds at most max_keys / reactors keys (at least one); a key read from storage
//     that exists first unloads the least recently used key that is not busy, looking at the
//     kEvictScan least recent ones; when they are all busy its calls are refused
//     "too_many_keys"; so are an op on a key that does not exist (it would create it) and a
//     view() of one (its follower would), and a call for a cold key while kMinReads (or the
//     shard's capacity, if more) keys are being read.
// Unloading is always safe: an unloaded key holds nothing that storage does not, and its next
// use restores it at the same version and state. The unload of a key that exists is reported
// (on_unloaded), so the cluster gives up the key's lease too. That of a key that does not is
// not: its owner keeps answering for it until the lease idles out (cluster_key_idle_ms), or
// every call of a burst on a new key would move it between nodes.
// Lock story: none; shards are owner-thread-only. Calls post to the key's owner reactor;
// completions post back to the calling reactor; the loader posts its results to the owner. The
// counters are atomics, read from any thread. Each shard's lease/queue sweep runs every kSweep
// while some key there has a lease or a queued op, or a retired authority (a key that moved to
// another node) waits for its last commit; its idle sweep runs while it holds keys.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/pubsub.hpp"
#include "cohort/storage.hpp"
#include "cohort/store.hpp"
#include "cohort/store_limits.hpp"
#include "metrics/histogram.hpp"
#include "net/reactor.hpp"
#include "store/key_authority.hpp"
#include "store/key_loader.hpp"

namespace cohort::store {

// The reactor a Stores call comes from (completions run there); throws off the reactors.
net::Reactor& calling_reactor();

// How many keys a node keeps in memory, and for how long (Config store_max_keys, store_idle_ms).
struct Residency {
  std::size_t max_keys = 10'000;
  std::chrono::milliseconds idle{60'000};
};

// What /metrics shows of the stores. Any thread.
struct StoreCounters {
  std::atomic<std::int64_t> keys_loaded{0};      // in memory now
  std::atomic<std::uint64_t> key_loads{0};       // cold keys read from storage
  std::atomic<std::uint64_t> key_unloads{0};     // idle, least recently used, or not existing
  std::atomic<std::uint64_t> refused_full{0};    // calls refused "too_many_keys"
  std::atomic<std::uint64_t> refused_missing{0};  // view_existing() answered "not_found"
  // A client's op (store:* channel) from its arrival to its ack after the commit (store_channel.cpp).
  metrics::Histogram op_seconds{metrics::kLatencyBounds, metrics::kNanoseconds};
};

// One key in memory, as the node's status shows it (node_status.hpp).
struct KeyFigures {
  std::string key;
  std::uint64_t version = 0;  // committed
  std::vector<std::pair<std::string, std::string>> locks;  // (path, holder)
  bool broken = false;        // refusing ops with storage_error
};

class LocalStores final : public Stores {
 public:
  // Least recently used keys looked at for one that can make room.
  static constexpr std::size_t kEvictScan = 32;
  // Cold keys being read at once per reactor, at least (or its share of store_max_keys if more):
  // beyond, a call for another cold key is refused "too_many_keys".
  static constexpr std::size_t kMinReads = 1024;

  LocalStores(net::ReactorSet& reactors, PubSub& pubsub, Storage* storage);
  ~LocalStores() override;

  // Before the node starts (null: ops commit without storage, for tests).
  void set_storage(Storage* storage);
  // Before the storage is destroyed: no more reads (the loader's thread ends; calls still
  // waiting for a cold key never complete — for shutdown).
  void stop_loading();
  // Before the node starts: what ops may write and how long a key may be.
  void set_limits(StoreLimits limits) { limits_ = limits; }
  // Before the node starts: commits between two snapshots of a key.
  void set_snapshot_every(std::uint64_t n) { snapshot_every_ = n; }
  // Before the node starts: how many keys stay in memory, and how long an idle one stays.
  void set_residency(Residency r) { residency_ = r; }
  // Before the node starts: whether this node has a follower of key (a subscriber of its topic
  // "store:<key>"); any thread. Unset: no key is followed.
  void set_followed(std::function<bool(const std::string& key)> fn) { followed_ = std::move(fn); }
  // Before the node starts: fn(key) runs on the key's owner reactor each time a key that exists
  // leaves memory (it must only post).
  void on_unloaded(std::function<void(const std::string& key)> fn) { on_unloaded_ = std::move(fn); }
  const StoreCounters& counters() const { return counters_; }
  StoreCounters& counters() { return counters_; }
  // The time leases, queued ops and coalescing read (store_clock.hpp). A harness holds it and
  // moves it by hand, then calls tick(): every shard looks at the deadlines of every key it
  // holds (posted to each reactor; what expired is done there, in order).
  StoreClock& clock() { return clock_; }
  void tick();

  void define(StoreKind kind) override;
  std::uint64_t new_session() override { return next_session_.fetch_add(1, std::memory_order_relaxed); }
  void apply(OpCall call, std::function<void(OpOutcome)> done) override;
  void view(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) override;
  void view_existing(std::string key, std::optional<std::uint64_t> since,
                     std::function<void(StoreView)> done) override;
  void end_session(std::string key, std::uint64_t session) override;
  bool knows(std::string_view key) const override { return kind_of(key) != nullptr; }
  const StoreKind* kind_of(std::string_view key) const override;

  // For the cluster (cluster/cluster_stores.hpp). Before the node starts: session ids begin at
  // base, so that sessions of different nodes never collide.
  void set_session_base(std::uint64_t base) { next_session_.store(base, std::memory_order_relaxed); }
  // Any thread: drops key's authority (posted to its owner reactor, ahead of whatever is posted
  // after), so the next use loads it from storage afresh (a read under way is read again). Its
  // queued ops fail with `why`.
  void retire(std::string key, std::string why);
  // From a reactor: answers (on that reactor) whether key holds nothing that lives only in
  // memory (KeyAuthority::quiet; a key not loaded here is quiet, one being read is not).
  void quiet(std::string key, std::function<void(bool)> done);
  // For `cohort check`, before the node starts, on the calling thread: loads key the way its
  // first use would (its kind's initial state, the node's limits and storage). Its version, or
  // why it would not load.
  struct KeyCheck {
    std::uint64_t version = 0;
    std::optional<std::string> error;
  };
  KeyCheck check_key(const std::string& key);
  // Any thread: ends the locks of every session `which` selects, on every key of this node.
  void end_sessions(std::function<bool(std::uint64_t)> which);
  // Any thread: reads whether storage holds anything for key (a read that fails counts as yes:
  // its owner will report the error), on the loader's thread, where done runs (it must only
  // post). Without storage nothing is stored: done(false) at once. For the cluster, which asks
  // before it takes a key's lease for a caller who may not create the key.
  void read_exists(std::string key, std::function<void(bool exists)> done);
  // Owner-thread: the keys of the calling reactor's shard that are in memory (at most
  // Residency::max_keys / reactors of them). For the node's status, once a second.
  std::vector<KeyFigures> local_keys() const;
  // Any thread: the "too_many_keys" refusal (counted), and a "not_found" to count.
  JsonObject too_many_keys();
  void count_not_found() { counters_.refused_missing.fetch_add(1, std::memory_order_relaxed); }

 private:
  struct Shard;
  // On the owner reactor: what a call does with its key, once the key is in memory (auth), or
  // why it cannot be (auth null, error set).
  using Use = std::function<void(KeyAuthority* auth, JsonObject error)>;

  void view_on_owner(std::string key, std::optional<std::uint64_t> since, bool must_exist,
                     std::function<void(StoreView)> done);
  // On the owner reactor: runs fn with key's authority — now, or once it is read from storage.
  void use(unsigned reactor, const std::string& key, Use fn);
  std::optional<JsonObject> unservable(const std::string& key) const;
  KeyAuthority::Env env(unsigned reactor, const StoreKind& kind);
  void read(unsigned reactor, const std::string& key);
  void on_read(unsigned reactor, const std::string& key, KeyLoader::Result result);
  KeyAuthority* admit(unsigned reactor, const std::string& key, KeyLoader::Result result);
  void touch(unsigned reactor, const std::string& key);
  // Unloads key if it does not exist and holds nothing (after a call used it).
  void settle(unsigned reactor, const std::string& key);
  bool busy(unsigned reactor, const std::string& key) const;
  bool make_room(unsigned reactor);
  bool fits(unsigned reactor, const std::string& keep);
  bool unload_one(unsigned reactor, const std::string* keep = nullptr);
  // existed: the key had data (idle, or pushed out); not reported for a key that did not exist.
  void unload(unsigned reactor, const std::string& key, bool existed = true);
  std::size_t shard_capacity() const;
  void watch(unsigned reactor, KeyAuthority* key);
  void sweep(unsigned reactor);
  void arm(unsigned reactor);
  void sweep_idle(unsigned reactor);
  void arm_idle(unsigned reactor);

  net::ReactorSet& reactors_;
  PubSub& pubsub_;
  Storage* storage_;
  std::unique_ptr<KeyLoader> loader_;  // with storage
  StoreLimits limits_;
  std::uint64_t snapshot_every_ = 1000;
  Residency residency_;
  std::function<bool(const std::string&)> followed_;
  std::function<void(const std::string&)> on_unloaded_;
  std::unordered_map<std::string, StoreKind> kinds_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> next_session_{1};
  StoreCounters counters_;
  StoreClock clock_;
};

}  // namespace cohort::store
