// cohort/store.hpp — shared state with one authority per key: the GenServer of the brief.
//
// What it provides. A store kind ("board", "poll", ...) declares an initial JSON state and named
// operations. A key is "<kind>:<id>"; each key has exactly one authority, its owner reactor
// (net::owner_of), which applies operations one at a time. An operation's handler validates
// and returns the change as RFC 6902 JSON Patch operations (or a rejection with a reason);
// applying it makes version N+1. Clients follow a key on topic "store:<key>": a join answers
// {version, state} (or {version, patches} when the client says `since` and the history still
// holds it), then every change arrives as a "patch" broadcast {from, to, ops}, in order, with
// no gap and no duplicate that the version numbers would not reveal. In a cluster, after the
// node's Redis links come back from an outage, it sends its clients of every store topic a
// "resync" event: patches may have been lost, so a client rejoins with `since` (its version).
//
// Authority. Roles come from verified claims (cohort/token.hpp), never from the client. Each
// op states who may run it (OpSpec): whether an anonymous actor may (`anonymous`, default no),
// whether a /socket client may call it directly or only server code may (`from_clients`), and
// which roles it needs (`roles`); a handler may refuse further ("forbidden") on the state. A
// kind may also limit who follows a key at all (StoreKind::can_join): a /socket join it refuses
// gets {"reason": "forbidden", "key": <key>}. Server code (a live view) calls stores directly,
// so neither check stands between it and its own kinds; it acts with its visitor's Actor.
// Identities that others will see (an editor's name, an owner) come from the Actor (signed
// claims: id, name), never from op arguments.
// The actor whose id is in the state's top-level "_owner" member also holds the role "owner"; only
// the built-in "transfer_owner" op (by the owner) changes "_owner" once it is set. Locks on a
// path (built-in ops "lock", "unlock", "renew") keep other sessions' ops off that path: an op
// whose patch touches a path locked by someone else is rejected with the holder, or, when its
// spec says WhenLocked::queue, waits (bounded) until the lock goes. A lock with ttl_ms is a
// lease: it ends at expiry unless renewed, and every lock ends when its session disconnects.
//
// Existence. A key exists once an op on it has been stored (version > 0); before that it is
// only its kind's `initial` state, held nowhere. A /socket join of a key that does not exist is
// served (version 0, `initial`) only to a joiner the kind's can_create allows; anyone else gets
// {"reason": "not_found", "key": <key>}, and nothing is loaded or stored for it. Server code
// creates keys by running ops on them.
//
// Memory. A node holds in memory only the keys in use, each restored from storage at its first
// use (read off the reactors: a cold key never blocks one) at the version and state it had. A key
// with no follower on this node, no lock, nothing queued or uncommitted, and no use for
// store_idle_ms is unloaded; at most store_max_keys are loaded (the least recently used idle one
// makes room); when every loaded key is busy, a call that needs another one is refused
// {"reason": "too_many_keys", "detail"}. A key that does not exist is dropped as soon as it is
// quiet. Unloading is a restart in small: the key's history for catch-up joins and the op ids it
// remembers are those of its ops stored since its last snapshot (docs/stores.md).
//
// Durability. With storage, an operation is acknowledged, and its patch broadcast, only after
// it is committed (group commit). A restart restores each key lazily, at its first use, at the
// version it had. A rejected operation changes nothing and gets a reason: "unknown_op",
// "forbidden", "conflict" (stale expect_version), "invalid" (with detail), "locked" (with the
// holder), "lock_timeout", "queue_full", "too_large", "storage_error", "too_many_keys" (the
// node's loaded keys are all busy: try again later), "internal" (the kind's
// handler threw: a bug in the app, reported with its message; the key goes on serving), and in a
// cluster "unavailable" (with detail: no owner of the key could be reached; see docs/cluster.md).
// What an op may write is bounded by the node's StoreLimits (cohort/store_limits.hpp).
//
// Coalescing. A kind with `coalesce` > 0 broadcasts at most one patch per interval, folding the
// versions in between into one {from, to, ops}; replies are not delayed.
//
// Threads. Stores methods are any-thread; completions run on the calling reactor thread (the
// caller must be on a reactor). Handlers run on the key's owner reactor and must not block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cohort/json.hpp"
#include "cohort/token.hpp"

namespace cohort {

// What an operation handler is given.
struct OpRequest {
  const Actor& actor;
  const Json& args;
  const Json& state;      // the current state (read-only)
  std::uint64_t version;  // the current version
};

// Why an operation was refused: one enum for every refusal, each with the wire name clients
// get as "reason" (docs/protocol.md lists them). Compare enums, never the strings.
enum class Rejection {
  unknown_op,     // the kind has no op of that name
  forbidden,      // the actor may not (roles, anonymous, server_only, or the handler said so)
  conflict,       // expect_version is stale
  invalid,        // bad arguments or an op that makes no sense on this state ("detail" says why)
  locked,         // a path it touches is locked by someone else ("holder")
  lock_timeout,   // a queued op waited for a lock too long
  queue_full,     // too many ops wait for locks on this key
  too_large,      // over a store limit ("detail" names the setting)
  storage_error,  // the storage failed: nothing changed, try again
  too_many_keys,  // every loaded key is busy: try again later
  internal,       // the kind's handler threw (a bug in the app)
  unavailable,    // cluster: no owner of the key could be reached (outcome unknown: resend with op_id)
  not_found,      // the key does not exist and the joiner may not create it
};
// The wire name ("unknown_op", ...), and back (nullopt for a name Cohort does not send).
std::string_view wire_name(Rejection why);
std::optional<Rejection> rejection_from_wire(std::string_view name);

// What an operation handler decides.
struct OpResult {
  bool ok = true;
  json::array patch;   // RFC 6902 operations, when ok
  JsonObject error;    // {"reason": wire_name(why), ...detail}, when not
  static OpResult change(json::array patch) { return {true, std::move(patch), {}}; }
  // detail: what the client is told besides the reason, e.g. {{"detail", "title is empty"}}.
  static OpResult reject(Rejection why, JsonObject detail = {}) {
    detail["reason"] = wire_name(why);
    return {false, {}, std::move(detail)};
  }
};

enum class WhenLocked { reject, queue };

// Who may run an op, checked before its handler runs (a refusal is "forbidden" and changes
// nothing). Safe by default: an anonymous actor is refused unless `anonymous` says otherwise.
//   k.ops["vote"] = OpSpec{{}, vote};                   // any identified actor
//   k.ops["clear"] = OpSpec{{"moderator"}, clear};      // only a moderator
//   OpSpec add{{}, index_add};
//   add.from_clients = false;                           // only the app's own server code
struct OpSpec {
  std::vector<std::string> roles;  // an actor needs one of them; empty = no role needed
  std::function<OpResult(const OpRequest&)> apply;
  WhenLocked when_locked = WhenLocked::reject;
  std::chrono::milliseconds queue_timeout{2000};  // how long a queued op may wait for a lock
  // Whether an actor without an id (a /socket client without a signed token) may run it.
  // Refused: {"reason": "forbidden", "op", "detail": "sign in first"}.
  bool anonymous = false;
  // Whether a /socket client may send it ("op" event on "store:<key>"). false: only server code
  // (a live view acting for its visitor, or the app itself) may, e.g. an op a page runs as one
  // step of a flow that must not be done on its own. Refused at the socket with
  // {"reason": "forbidden", "op", "detail": "server_only"}.
  bool from_clients = true;
};

struct StoreKind {
  std::string name;  // keys are "<name>:<id>"
  Json initial = JsonObject{};
  std::map<std::string, OpSpec, std::less<>> ops;
  // Who may follow "store:<name>:<id>" over /socket (join, and so receive every patch), given
  // the joiner's Actor (anonymous: empty id) and the key's id part. Empty = anyone. A refusal
  // answers the join {"reason": "forbidden", "key": <key>} and touches no key, so a kind with
  // one well-known key (say "main") also keeps clients from creating keys it never uses. Runs
  // on the joining socket's reactor, any thread: it must only read its arguments.
  //   k.can_join = [](const Actor& a, std::string_view id) { return id == "main" && a.has_role("moderator"); };
  std::function<bool(const Actor&, std::string_view id)> can_join;
  // Who may follow a key of this kind over /socket before it exists (nothing stored for it yet:
  // version 0), and so create it with a first op; checked after can_join, the same way. Anyone
  // else's join of such a key gets {"reason": "not_found", "key": <key>} and touches no storage.
  // Empty = nobody: only server code (a live view's op, say the /polls page's "setup") creates
  // keys. A key that exists is followed by whoever can_join allows.
  //   k.can_create = [](const Actor& a, std::string_view) { return a.has_role("editor"); };
  //   k.can_create = [](const Actor&, std::string_view id) { return id == "main"; };  // the one key
  std::function<bool(const Actor&, std::string_view id)> can_create;
  std::vector<std::string> lock_roles;      // who may take locks; empty = any identified actor
  std::chrono::milliseconds coalesce{0};    // 0: one broadcast per operation
  std::size_t history = 1000;               // versions kept for catch-up joins
  std::size_t max_patch_bytes = 64 * 1024;  // one operation's change, serialized
  std::size_t max_state_bytes = 4 << 20;    // the state, estimated as it grows
  std::size_t max_queued = 64;              // ops waiting for locks, per key
};

// An operation as a caller submits it.
struct OpCall {
  std::string key;
  std::string name;
  Json args = JsonObject{};
  Actor actor;
  std::uint64_t session = 0;  // who holds locks; 0 for server code
  std::optional<std::uint64_t> expect_version;
  // The caller's id for this op ("" = none), unique per key (a random UUID, say): an op whose
  // id was already applied is answered with that first outcome ({ok, version}) and not applied
  // again — so a client whose op got "unavailable" (outcome unknown) may resend it safely. The
  // key remembers the ids of its last max(history, 1000) applied ops; after a restart, a move to
  // another node or a time out of memory, those of the ops stored since its last snapshot.
  std::string op_id;
};

struct OpOutcome {
  bool ok = false;
  std::uint64_t version = 0;  // the new version when ok, the current one otherwise
  JsonObject error;           // {"reason": ...} when not ok
  // Why it was refused (error's "reason"); nullopt when ok.
  std::optional<Rejection> rejection() const;
};

// What a joiner receives: the state, or the patches since its version.
struct StoreView {
  bool ok = false;
  std::uint64_t version = 0;
  std::optional<Json> state;          // when a full state is sent
  std::optional<json::array> patches;  // [{from, to, ops}] when catching up
  JsonObject locks;                    // {path: {holder, expires_in_ms?}}
  JsonObject error;
};

class Stores {
 public:
  virtual ~Stores() = default;
  // Before the node starts.
  virtual void define(StoreKind kind) = 0;
  // A new session id for lock ownership. Any thread.
  virtual std::uint64_t new_session() = 0;
  // From a reactor thread; done runs later on that same reactor.
  virtual void apply(OpCall call, std::function<void(OpOutcome)> done) = 0;
  virtual void view(std::string key, std::optional<std::uint64_t> since,
                    std::function<void(StoreView)> done) = 0;
  // view() of a key that must exist: one with nothing stored answers {"reason": "not_found",
  // "key"} and is not kept in memory (what a /socket join without can_create gets).
  virtual void view_existing(std::string key, std::optional<std::uint64_t> since,
                             std::function<void(StoreView)> done) = 0;
  // Ends every lock and lease that session holds on key (a disconnect).
  virtual void end_session(std::string key, std::uint64_t session) = 0;
  // Whether key names a defined kind.
  virtual bool knows(std::string_view key) const = 0;
  // The kind of key ("<kind>:<id>"), or nullptr when none is defined. Any thread: kinds are
  // read-only once the node starts.
  virtual const StoreKind* kind_of(std::string_view key) const = 0;
};

}  // namespace cohort
