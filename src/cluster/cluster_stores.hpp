// cluster_stores.hpp — the node's Stores in a cluster: each key served by the one node that
// holds its lease, reached through Redis from every other node.
//
// Owns: the routing of apply / view / end_session, the requests forwarded to other nodes and
// not answered yet, and the key leases (StoreLeases). The keys themselves stay in LocalStores
// (one authority per key, on its owner reactor), which this wraps.
// Alone (no cluster attached) every call goes straight to LocalStores: nothing changes.
// In a cluster:
//   - a call is posted to the cluster reactor, which finds the key's owner (StoreLeases); if it
//     is this node the call goes to LocalStores, otherwise it is sent to the owner's inbox
//     (store_wire.hpp) and answered through it. An owner that finds the key is no longer its
//     own answers "moved" (nothing applied), and the call is routed again (bounded).
//   - sessions get node-unique ids (node id in the top bits), so locks held by sessions of
//     different nodes never mix; when a node is declared down, its sessions' locks end.
// Guarantees: exactly one node applies a key's ops at a time (the lease) and a stale owner's
// writes are refused by storage (the fence), so versions stay contiguous across owners; an op
// is acknowledged only after its commit, so no acknowledged op is lost when its owner dies.
// A view_existing() (a /socket join by someone who may not create the key) of a key nobody here
// knows the owner of reads storage first: a key with nothing stored is answered "not_found"
// without taking its lease (so no lease in Redis, no fence row in the database).
// Failure: a forwarded call whose owner is declared down (membership: cluster_down_ms without
// a heartbeat), or that has no answer within the forward timeout (kForwardTimeout unless attach
// says otherwise; checked every kWatchdogTick), fails with "unavailable" — it may
// or may not have been applied, as with any timeout (an op_id makes resending it safe) — and
// that owner's keys are looked up again; while the lease of
// a dead owner runs, calls wait for it (bounded by kResolveTimeout) and then the key is taken
// over and loaded from storage. Without Redis nothing that needs an owner can be ordered:
// such calls fail at once with "unavailable", never silently diverge. Stores in a cluster need
// storage the nodes share (PostgreSQL): with a node-local one every call fails with a reason.
// Threads: Stores methods any-thread (from a reactor, like LocalStores); the rest runs on the
// cluster reactor.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "cluster/store_leases.hpp"
#include "cluster/store_wire.hpp"
#include "cohort/store.hpp"
#include "store/local_stores.hpp"

namespace cohort::cluster {

class Cluster;

class ClusterStores final : public Stores {
 public:
  static constexpr auto kForwardTimeout = std::chrono::seconds(10);
  static constexpr auto kWatchdogTick = std::chrono::milliseconds(500);  // forwarded calls' timeout check
  static constexpr auto kResolveTimeout = std::chrono::seconds(15);
  // "moved" answers followed for one call before it fails "unavailable": an owner that keeps
  // saying the key is not its own while Redis names it (a lease being handed over) is given
  // that many chances, then the caller hears of it.
  static constexpr unsigned kMaxMoves = 5;
  // Storage reads under way to learn whether a key exists before taking its lease.
  static constexpr std::size_t kMaxExistenceChecks = 1024;

  explicit ClusterStores(store::LocalStores& local) : local_(local) {}
  ~ClusterStores() override;

  // Before the node starts. shared_storage: the storage is one the nodes share; without it
  // every store call in the cluster fails with a reason. A key unused for idle_release (and
  // holding no lock, nothing queued or uncommitted) is given up, so a node renews only the
  // leases of keys in use; so is a key LocalStores unloads (idle for store_idle_ms, or pushed
  // out by store_max_keys), unless a call for it was routed since: a node holds the lease of a
  // key only while it holds the key. forward_timeout: how long a forwarded call waits for its
  // owner's answer (tests shorten it; nodes keep kForwardTimeout).
  void attach(Cluster& cluster, Storage* storage, bool shared_storage, std::chrono::milliseconds lease,
              std::chrono::milliseconds idle_release, std::chrono::milliseconds forward_timeout = kForwardTimeout);

  void define(StoreKind kind) override { local_.define(std::move(kind)); }
  std::uint64_t new_session() override { return local_.new_session(); }
  void apply(OpCall call, std::function<void(OpOutcome)> done) override;
  void view(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) override;
  void view_existing(std::string key, std::optional<std::uint64_t> since,
                     std::function<void(StoreView)> done) override;
  void end_session(std::string key, std::uint64_t session) override;
  bool knows(std::string_view key) const override { return local_.knows(key); }
  const StoreKind* kind_of(std::string_view key) const override { return local_.kind_of(key); }

  // Cluster reactor only (wired by attach).
  void on_inbox(std::string_view payload);
  void node_down(std::uint32_t node);
  std::size_t owned_keys() const { return leases_ ? leases_->owned() : 0; }

 private:
  struct Call;  // one apply or view on its way (cluster_stores.cpp)
  using CallPtr = std::shared_ptr<Call>;

  void view_call(std::string key, std::optional<std::uint64_t> since, bool must_exist,
                 std::function<void(StoreView)> done);
  void route(CallPtr call);
  // A view_existing() of a key whose owner nobody here knows: storage first says whether it
  // exists, so a join of a made-up key takes no lease and writes no fence.
  void check_exists(CallPtr call);
  void run_here(CallPtr call);
  // Whether a failed op was one of the writes a fence refused (it stored nothing; counted once).
  bool take_fenced(const std::string& key, const OpOutcome& outcome);
  void forward(CallPtr call, std::uint32_t owner);
  void retry_later(CallPtr call);
  void answer(const StoreRequest& request);
  void on_reply(StoreReply reply);
  void check_forwards();
  // PUBLISHes to node's inbox; heard(false) when nobody listens there. false: not sent.
  bool send(std::uint32_t node, const std::string& bytes, std::function<void(bool)> heard);

  store::LocalStores& local_;
  Cluster* cluster_ = nullptr;
  std::optional<std::string> refused_;  // why store calls cannot work in this cluster
  std::unique_ptr<StoreLeases> leases_;
  std::unique_ptr<boost::asio::steady_timer> watchdog_;
  std::chrono::milliseconds forward_timeout_ = kForwardTimeout;
  std::uint64_t next_id_ = 1;
  std::size_t existence_checks_ = 0;  // under way; cluster reactor only
  std::unordered_map<std::uint64_t, CallPtr> forwarded_;  // id → call; cluster reactor only
  // key → writes its fence refused whose outcome has not come back yet; cluster reactor only.
  std::unordered_map<std::string, unsigned> fenced_;
};

}  // namespace cohort::cluster
