// local_stores.hpp — the node's Stores: kinds, and one shard of key authorities per reactor.
//
// Owns: the store kinds (read-only once the node starts), and per reactor the KeyAuthority of
// every key that reactor owns (net::owner_of), created and loaded from storage at first use
// and kept for the node's life. Lock story: none. Calls post to the key's owner reactor;
// completions post back to the calling reactor. Each shard's lease/queue sweep runs on its own
// reactor every kSweep while some key there has a lease or a queued op, or a retired authority
// (a key that moved to another node) waits for its last commit before it is destroyed.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/pubsub.hpp"
#include "cohort/storage.hpp"
#include "cohort/store.hpp"
#include "cohort/store_limits.hpp"
#include "net/reactor.hpp"
#include "store/key_authority.hpp"

namespace cohort::store {

// The reactor a Stores call comes from (completions run there); throws off the reactors.
net::Reactor& calling_reactor();

class LocalStores final : public Stores {
 public:
  LocalStores(net::ReactorSet& reactors, PubSub& pubsub, Storage* storage);
  ~LocalStores() override;

  // Before the node starts (null: ops commit without storage, for tests).
  void set_storage(Storage* storage) { storage_ = storage; }
  // Before the node starts: what ops may write and how long a key may be.
  void set_limits(StoreLimits limits) { limits_ = limits; }
  // Before the node starts: commits between two snapshots of a key.
  void set_snapshot_every(std::uint64_t n) { snapshot_every_ = n; }
  void define(StoreKind kind) override;
  std::uint64_t new_session() override { return next_session_.fetch_add(1, std::memory_order_relaxed); }
  void apply(OpCall call, std::function<void(OpOutcome)> done) override;
  void view(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) override;
  void end_session(std::string key, std::uint64_t session) override;
  bool knows(std::string_view key) const override { return kind_of(key) != nullptr; }
  const StoreKind* kind_of(std::string_view key) const override;

  // For the cluster (cluster/cluster_stores.hpp). Before the node starts: session ids begin at
  // base, so that sessions of different nodes never collide.
  void set_session_base(std::uint64_t base) { next_session_.store(base, std::memory_order_relaxed); }
  // Any thread: drops key's authority (posted to its owner reactor, ahead of whatever is posted
  // after), so the next use loads it from storage afresh. Its queued ops fail with `why`.
  void retire(std::string key, std::string why);
  // From a reactor: answers (on that reactor) whether key holds nothing that lives only in
  // memory (KeyAuthority::quiet; a key not loaded here is quiet).
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

 private:
  struct Shard;
  // On the owner reactor: the key's authority, created and loaded at first use; null with
  // error set when the kind is unknown or the key cannot be loaded.
  KeyAuthority* authority(unsigned reactor, const std::string& key, JsonObject& error);
  void watch(unsigned reactor, KeyAuthority* key);
  void sweep(unsigned reactor);
  void arm(unsigned reactor);

  net::ReactorSet& reactors_;
  PubSub& pubsub_;
  Storage* storage_;
  StoreLimits limits_;
  std::uint64_t snapshot_every_ = 1000;
  std::unordered_map<std::string, StoreKind> kinds_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> next_session_{1};
};

}  // namespace cohort::store
