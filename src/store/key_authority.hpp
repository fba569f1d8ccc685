// key_authority.hpp — the single authority of one store key: state, versions, locks, history.
//
// Owns, for one key: the speculative state (every accepted op applied, for validating the next
// one), the committed state (ops whose storage commit is done: what joiners and broadcasts
// see), the version counters, the bounded history of committed patches, the locks and leases,
// the ops queued behind locks, and the coalescing buffer. Owner-thread-only: it lives on the
// key's owner reactor and is called only from there (LocalStores). It never reads storage on
// that thread: LocalStores reads the key off the reactors (KeyLoader) and hands the result to
// restore() or reloaded(); only load(), for `cohort check`, reads synchronously.
// Invariants: committed_version <= version; history covers (history_from, committed_version];
// every committed patch is broadcast exactly once, in version order, possibly folded.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/pubsub.hpp"
#include "cohort/storage.hpp"
#include "cohort/store.hpp"
#include "cohort/store_limits.hpp"
#include "net/reactor.hpp"
#include "store/store_clock.hpp"

namespace cohort::store {

using OpDone = std::function<void(OpOutcome)>;

class KeyAuthority {
 public:
  struct Env {
    const StoreKind& kind;
    Storage* storage;  // null: an op commits as soon as it is applied
    PubSub& pubsub;
    net::Reactor& reactor;
    const StoreLimits& limits;  // what an op may write (cohort/store_limits.hpp)
    const StoreClock& clock;    // leases, queued ops' deadlines, coalescing
    std::uint64_t snapshot_every = 1000;  // commits between snapshots
  };

  KeyAuthority(std::string key, Env env);

  // Restores the key from what storage gave (its stored snapshot and ops, or why they could not
  // be read), once, before its first use. An error leaves the key refusing ops (storage_error)
  // until a reload succeeds (reload_due()).
  std::optional<std::string> restore(LoadedKey loaded, std::optional<std::string> error);
  // Reads storage on the calling thread, then restore(): for `cohort check`, never on a reactor.
  std::optional<std::string> load();
  // The key is broken (a failed load or commit), nothing of it is pending, and its next reload is
  // due (at most one a second): read storage again and hand the result to reloaded() before
  // using the key. While a reload is not due, a broken key refuses ops with storage_error.
  bool reload_due() const;
  // Storage's answer to a due reload: the key starts over from it; if it could not be read, a key
  // that had loaded keeps serving its last committed state to joiners, and refuses ops.
  void reloaded(LoadedKey loaded, std::optional<std::string> error);

  void apply(OpCall call, OpDone done);
  std::uint64_t committed_version() const { return committed_version_; }
  // The version of the last accepted op (committed or not): 0 while the key does not exist.
  std::uint64_t version() const { return version_; }
  bool broken() const { return broken_.has_value(); }
  // The locks and leases held now, as (path, holder), by path: for the node's status.
  std::vector<std::pair<std::string, std::string>> lock_holders() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [path, lock] : locks_) out.emplace_back(path, lock.holder);
    return out;
  }
  // The committed state (or patches since `since`) and the locks. Flushes coalesced patches
  // first, so the view and the broadcasts that follow it line up.
  StoreView view(std::optional<std::uint64_t> since);
  void end_session(std::uint64_t session);
  // Ends the locks of every session `which` selects (the sessions of a node that died).
  void end_sessions(const std::function<bool(std::uint64_t)>& which);
  // The key moved to another node: queued ops fail with `why`, coalesced patches go out, and
  // nothing more is accepted. Ops waiting for their commit still get their outcome; destroy
  // the authority only once idle().
  void retire(std::string_view why);
  bool idle() const { return pending_.empty() && !coalesce_armed_; }
  // Nothing that lives only here: no lock or lease, no queued op, nothing uncommitted or unsent.
  // Such a key can be dropped and loaded again later without anyone noticing.
  bool quiet() const { return idle() && locks_.empty() && queued_.empty(); }
  // Ends expired leases, times out queued ops and sends coalesced patches that are due; returns
  // when it next needs calling for a lease or a queued op.
  std::optional<Clock::time_point> expire(Clock::time_point now);

 private:
  struct Lock {
    std::string holder;  // actor id
    std::uint64_t session;
    std::optional<Clock::time_point> expires;
  };
  struct Queued {
    OpCall call;
    OpDone done;
    Clock::time_point deadline;
  };
  struct Pending {  // accepted, waiting for its commit
    json::array patch;
    OpDone done;
    std::string op_id;
    std::vector<OpDone> resent;  // the same op_id sent again meanwhile: the same outcome
  };
  struct Committed {
    std::uint64_t version;
    json::array patch;
  };

  void run(OpCall call, OpDone done);
  std::optional<std::string> failed_load(std::string why);
  // False while the key is broken (reload_due() says when LocalStores reads it again).
  bool usable() const { return !broken_; }
  // An op whose op_id is applied or pending: answered (now or at its commit); true if so.
  bool seen(const OpCall& call, OpDone& done);
  void remember(const std::string& op_id, std::uint64_t version);
  // Why the op's args or actor could not be stored in its op row, as an error to answer.
  std::optional<JsonObject> unstorable(const OpCall& call) const;
  bool builtin(const OpCall& call, OpDone& done);
  void transfer_owner(const OpCall& call, OpDone& done);
  OpOutcome acquire(const OpCall& call, const std::string& path);
  OpOutcome unlock(const OpCall& call, const std::string& path);
  OpOutcome renew(const OpCall& call, const std::string& path);
  void accept(const OpCall& call, json::array patch, OpDone done);
  void on_commit(std::uint64_t version, std::optional<std::string> error);
  void broadcast_patch(std::uint64_t from, std::uint64_t to, json::array ops);
  void flush_coalesced();
  // Waits for the coalescing interval on the clock: a held clock (a harness) keeps it waiting.
  void arm_coalesce(Clock::duration wait);
  void lock_changed(std::string_view event, const std::string& path, const Lock& lock,
                    std::string_view reason);
  void release(const std::string& path, std::string_view reason);
  void retry_queued();
  // The lock held by another session that the patch touches, if any.
  const std::pair<const std::string, Lock>* blocking_lock(const json::array& patch,
                                                          std::uint64_t session) const;
  Actor with_owner_role(const Actor& actor) const;
  OpOutcome fail(JsonObject error) const { return OpOutcome{false, version_, std::move(error)}; }
  JsonObject locks_json(Clock::time_point now) const;
  std::string topic() const { return "store:" + key_; }

  std::string key_;
  Env env_;
  Json state_;      // speculative
  Json committed_;  // committed
  std::uint64_t version_ = 0;
  std::uint64_t committed_version_ = 0;
  std::size_t estimated_bytes_ = 0;
  // Why the key refuses ops (storage_error), or nothing. A load or commit failure is not final:
  // the key loads again once nothing is pending (reload_due(), at most once per second), so a
  // full disk or a database outage ends when they do. A retired key never comes back.
  std::optional<std::string> broken_;
  bool loaded_ = true;    // committed_ is the key's state (false after a failed load)
  bool retired_ = false;
  Clock::time_point reload_after_{};
  std::map<std::uint64_t, Pending> pending_;
  std::deque<Committed> history_;
  std::map<std::string, Lock> locks_;  // path → lock
  std::deque<Queued> queued_;
  // Coalescing: committed patches not broadcast yet.
  std::optional<std::uint64_t> unsent_from_;
  json::array unsent_ops_;
  std::uint64_t unsent_to_ = 0;
  boost::asio::steady_timer coalesce_timer_;
  bool coalesce_armed_ = false;
  Clock::time_point coalesce_due_{};
  // op_id → version of the last applied ops that had an id (oldest first in applied_order_),
  // and op_id → version of those accepted and not committed yet.
  std::unordered_map<std::string, std::uint64_t> applied_ids_;
  std::deque<std::string> applied_order_;
  std::unordered_map<std::string, std::uint64_t> pending_ids_;
};

}  // namespace cohort::store
