// cohort/storage.hpp — durable snapshots and operation logs, one per store key.
//
// What it provides: for each store key, an append-only log of applied operations (version,
// op, patch) and at most one snapshot (version, state). Versions of a key are contiguous:
// the log holds exactly the versions snapshot_version + 1 .. last, and append() refuses a gap
// or a duplicate. snapshot() compacts: it stores the state at a version and drops the ops up to
// it, atomically.
//
// Durability: an append whose `done` reported success has COMMITTED and survives a kill -9 and
// (with the SQLite backend, synchronous=FULL) a power loss. An append that reported an error
// stored nothing. Appends are group-committed: everything queued while one transaction runs
// goes into the next one (bounded batch), so one fsync serves many operations.
//
// Ordering: append() and snapshot() calls are applied in the order they were queued (per
// calling thread; across threads, in the order they took the queue lock). A snapshot therefore
// never overtakes the append of its own version when both come from the key's owner thread.
//
// Threads: every method is any-thread. `done` callbacks and commit hooks run on the storage's
// single writer thread; they must not block for long (they delay the next batch), must not
// throw from `done`, and must not call flush() (that would wait for itself: std::terminate).
//
// Failure behaviour: expected failures are values — an error text in `done`, in load()'s
// return, or from open_sqlite_storage(). A snapshot has no callback: one that cannot be stored
// (disk error, or a version the log does not justify) is reported on stderr and dropped; that
// loses nothing, because the ops it would have compacted stay in the log.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/json.hpp"
#include "cohort/store_limits.hpp"

struct sqlite3;  // from <sqlite3.h>; only commit hooks need the full definition

namespace cohort {

// One applied operation as stored. op = {name, args, actor}; patch = an RFC 6902 array.
struct StoredOp {
  std::uint64_t version = 0;
  Json op;
  Json patch;
};

// What load() returns for one key: the latest snapshot and the ops after it.
struct LoadedKey {
  std::uint64_t snapshot_version = 0;
  Json snapshot;               // null when the key has no snapshot
  std::vector<StoredOp> ops;   // version > snapshot_version, ascending, contiguous
};

// What a commit hook sees of one op being committed. op and patch live for the hook call only.
struct CommitRecord {
  std::string key;
  std::uint64_t version;
  const Json& op;
  const Json& patch;
};

// How a storage is doing, for the operator (/admin/status, the admin dashboard).
struct StorageStatus {
  std::string kind;           // "sqlite", "postgres", or what another backend says
  std::uint64_t queued = 0;   // writes queued, not yet committed or failed
  std::string last_error;     // the last failed transaction's error ("" when none failed)
};

class Storage {
 public:
  using Done = std::function<void(std::optional<std::string> error)>;
  // Runs inside each group transaction, on the writer thread, once per op being committed,
  // after the op's row is written and before COMMIT: an application may write its own tables
  // through db in the same transaction (it must not BEGIN, COMMIT or ROLLBACK). A hook that
  // throws fails the whole transaction: every op in it gets an error and nothing is stored.
  using CommitHook = std::function<void(sqlite3* db, const CommitRecord& record)>;

  virtual ~Storage() = default;

  // Any-thread. Queues one applied op for key at version, which must be exactly the key's last
  // stored version + 1 (1 for a new key). `done` is called exactly once, on the writer thread:
  // with nullopt after the transaction holding the op has committed, or with an error text
  // (gap, duplicate, hook failure, disk error) when nothing of the op was stored.
  virtual void append(std::string key, std::uint64_t version, Json op, Json patch, Done done) = 0;

  // Any-thread, blocking, reads only. Fills out with the key's latest snapshot and the ops after
  // it, as committed so far (an append whose `done` has not run yet may be missing: flush()
  // first if that matters). An unknown key gives snapshot_version 0, a null snapshot, no ops.
  // Returns an error text if the database cannot be read or holds a corrupt row.
  virtual std::optional<std::string> load(std::string_view key, LoadedKey& out) = 0;

  // Any-thread, fire-and-forget. Queued behind the appends already queued: stores state as the
  // key's snapshot at version and deletes its ops <= version, in one transaction. Refused (and
  // reported on stderr) when version is above the key's last stored version — that state would
  // include an op that was never acknowledged — or below its current snapshot.
  virtual void snapshot(std::string key, std::uint64_t version, Json state) = 0;

  // Any-thread, queued like appends: takes key's fence for this Storage — a fencing token higher
  // than any taken before for key, allocated by the database itself — so that from then on a
  // write for key by any earlier holder (a node whose lease of the key lapsed, paused or
  // partitioned) is refused in its own transaction (the error reaches its `done`; nothing is
  // stored). This Storage's writes for key carry the token until it takes the fence again.
  // `done` reports the taking (an error when the database cannot be written). The embedded
  // SQLite backend (one node) has no fences: done(nullopt) inline.
  virtual void take_fence(std::string key, Done done) { done(std::nullopt); }
  // Register before the first write: fn(key) runs on the writer thread, before the `done` of a
  // write that key's fence refused (a newer holder took it). Such a write stored nothing, so the
  // cluster may send the op on to the key's new owner. SQLite has no fences: never called.
  virtual void on_fenced(std::function<void(const std::string& key)> fn) {}
  // Any-thread, queued like appends: a small write of the storage's own, touching no key's rows,
  // in the next transaction. `done` runs once, on the writer thread: nullopt when that
  // transaction committed, else why not. How the node's /readyz knows the storage takes writes
  // now (SQLite: one row of table readiness_probe; PostgreSQL: a transaction id, which a server
  // that is down, read-only or out of disk cannot give). A storage that cannot tell reports
  // success inline.
  virtual void probe(Done done) { done(std::nullopt); }
  // Any-thread, blocking, reads only: every key with a snapshot or an op, in key order (for
  // `cohort check`). An error text if the database cannot be read.
  virtual std::optional<std::string> keys(std::vector<std::string>& out) = 0;
  // Any-thread, blocking: checks the storage's own structure beyond the keys' rows (SQLite: the
  // file's b-trees and indexes, PRAGMA quick_check). An error text naming what is damaged.
  virtual std::optional<std::string> check_structure() { return std::nullopt; }
  // Register hooks before the first append; they run in registration order. SQLite only.
  virtual void add_commit_hook(CommitHook hook) = 0;

  // Any thread, not blocking for long (a lock the writer holds only between batches): for the
  // operator's dashboard, once a second.
  virtual StorageStatus status() const { return {}; }

  // Any-thread except the writer thread. Blocks until everything queued before the call has
  // committed or failed, and its `done` callbacks have returned (for shutdown and tests).
  virtual void flush() = 0;
};

// Opens <data_dir>/cohort.db, creating the directory and the database if needed. Returns null
// and sets error (naming the path) on failure. The destructor of the result flushes the queue.
// Rows are read back with limits (cohort/store_limits.hpp): give the node's, so that whatever
// its stores accepted loads again; a row they do not allow is a load error naming the setting.
std::unique_ptr<Storage> open_sqlite_storage(const std::string& data_dir, std::string& error,
                                             const StoreLimits& limits = {});

// Opens the PostgreSQL storage at url (postgres://...), creating its tables if needed. Returns
// null and sets error (naming the server) on failure. Commit hooks are not supported there. In
// a build without the cluster (COHORT_WITH_CLUSTER=OFF) it always fails, saying so.
std::unique_ptr<Storage> open_postgres_storage(const std::string& url, std::string& error,
                                               const StoreLimits& limits = {});

}  // namespace cohort
