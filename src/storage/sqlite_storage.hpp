// sqlite_storage.hpp — the embedded Storage: one SQLite file in WAL mode, group-committed.
//
// Owns: the database <data_dir>/cohort.db with tables ops(key, version, op, patch) and
// snapshots(key, version, state); one writer thread with the write connection; one read
// connection. It must never run SQL for a caller on the writer connection, nor hold the queue
// lock while running SQL or a callback.
//
// Lock story:
//   - mutex_ guards queue_, queued_, stopping_ and hooks_. append()/snapshot() (any thread) push
//     under it and notify work_cv_; the writer pops up to kMaxBatchItems under it, releases it,
//     runs the transaction, calls the `done` callbacks, then retakes it to advance finished_ and
//     notify finished_cv_, which flush() waits on. hooks_ is copy-on-write: add_commit_hook()
//     swaps the pointer under mutex_, the writer copies the pointer with each batch.
//   - read_mutex_ guards the read connection and its statements; load() holds it for one read
//     transaction. In WAL mode readers and the writer do not block each other.
//   - The write connection, its statements and last_version_ are writer-thread-only: no lock.
// Update steps of one batch: BEGIN IMMEDIATE; per item check the version against
// last_version_ (+ this batch's pending versions), insert, run hooks; COMMIT (one fsync of the
// WAL); only then fold the pending versions into last_version_ and report success. On any
// failure: ROLLBACK, drop the pending versions, report the error to every op in the batch.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cohort/storage.hpp"
#include "storage/storage_counters.hpp"

namespace cohort::storage {

// A connection and a prepared statement, closed / finalized by their owner's destruction.
struct ConnectionClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalize {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionClose>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalize>;

// Opens an existing file read-only, or opens / creates one read-write, with extended result
// codes and SqliteStorage::kBusyTimeoutMs. Every Cohort connection to a store file is made here.
std::optional<std::string> open_sqlite(const std::string& path, bool read_only, Connection& out);

class SqliteStorage final : public Storage {
 public:
  // At most this many queued items per transaction: large enough that one fsync serves a burst
  // from every reactor, small enough that one transaction (and the WAL it grows) stays short
  // and the first op of a batch is not held back behind thousands of others.
  static constexpr std::size_t kMaxBatchItems = 512;
  // How long a statement waits for a lock held by another process (a backup, the sqlite3 shell)
  // before it fails. Cohort's own connections never wait on each other in WAL mode.
  static constexpr int kBusyTimeoutMs = 5000;
  // The schema this build writes, kept in PRAGMA user_version; a file from a newer one is refused
  // (by open() and by `cohort restore`).
  static constexpr int kSchemaVersion = 1;

  // Opens (creating if needed) <data_dir>/cohort.db. Null and error set on failure. Makes the
  // process ignore SIGXFSZ, so that a file-size limit is a write error, not a kill.
  static std::unique_ptr<SqliteStorage> open(const std::string& data_dir, std::string& error,
                                             const StoreLimits& limits = {}, StorageCounters* counters = nullptr);

  ~SqliteStorage() override;  // flushes the queue, then joins the writer

  void append(std::string key, std::uint64_t version, Json op, Json patch, Done done) override;
  std::optional<std::string> load(std::string_view key, LoadedKey& out) override;
  void snapshot(std::string key, std::uint64_t version, Json state) override;
  void probe(Done done) override;
  void add_commit_hook(CommitHook hook) override;
  std::optional<std::string> keys(std::vector<std::string>& out) override;
  std::optional<std::string> check_structure() override;
  void flush() override;
  StorageStatus status() const override;

  // Any-thread. Transactions committed so far (for tests of group commit).
  std::uint64_t transactions_committed() const { return transactions_.load(); }

 private:
  // One queued append or snapshot. Text forms are serialized on the caller's thread.
  struct Item {
    bool is_snapshot = false;
    bool is_probe = false;  // Storage::probe: done, no key
    std::string key;
    std::uint64_t version = 0;
    Json op;              // append: the op; snapshot: the state
    Json patch;           // append only
    std::string op_text;  // serialized op (or state)
    std::string patch_text;
    Done done;                          // append and probe only
    std::optional<std::string> error;   // set while the batch runs
  };
  using Hooks = std::vector<CommitHook>;

  struct WriteStatements {
    Statement begin, commit, rollback;
    Statement insert_op, last_op_version, snapshot_version, upsert_snapshot, delete_ops, probe;
  };
  struct ReadStatements {
    Statement begin, end, snapshot, ops, keys;
  };

  // The versions this batch has written, by key: folded into last_version_ after COMMIT.
  using PendingVersions = std::unordered_map<std::string, std::uint64_t>;

  SqliteStorage(std::string path, StoreLimits limits, Connection writer_db, Connection reader_db);
  std::optional<std::string> prepare();
  void enqueue(Item item);
  void run_writer();
  void run_batch(std::vector<Item>& batch, const Hooks& hooks);
  // The log of a run of failed transactions: each failure rate-limited, the run's end once.
  void note_commit(const std::optional<std::string>& failure, std::size_t writes);
  std::optional<std::string> write_items(std::vector<Item>& batch, const Hooks& hooks,
                                         PendingVersions& pending);
  std::optional<std::string> write_append(Item& item, const Hooks& hooks, PendingVersions& pending);
  std::optional<std::string> write_snapshot(Item& item, PendingVersions& pending);
  std::optional<std::string> write_probe();
  std::optional<std::string> last_version(const std::string& key, const PendingVersions& pending,
                                          std::uint64_t& out);
  std::optional<std::string> snapshot_version(const std::string& key, std::uint64_t& out);
  std::optional<std::string> read_key(std::string_view key, LoadedKey& out);

  const std::string path_;   // the database file, for messages
  const StoreLimits limits_;  // what rows may hold when read back
  Connection writer_db_;  // writer-thread-only after construction
  WriteStatements write_;
  std::unordered_map<std::string, std::uint64_t> last_version_;  // writer-thread-only cache
  std::uint64_t failed_in_a_row_ = 0;                       // writer-thread-only (note_commit)
  std::chrono::steady_clock::time_point failing_since_;      // writer-thread-only

  std::mutex read_mutex_;
  Connection reader_db_;
  ReadStatements read_;

  mutable std::mutex mutex_;
  std::string last_error_;      // guarded by mutex_: the last failed transaction's error
  std::condition_variable work_cv_;
  std::condition_variable finished_cv_;
  // Unbounded on purpose: every item is an op the store has already applied and must not be
  // dropped; bounding what is in flight is the store engine's job (it sees every `done`).
  std::deque<Item> queue_;
  std::uint64_t queued_ = 0;    // items ever queued
  std::uint64_t finished_ = 0;  // items ever finished (committed or failed, done returned)
  bool stopping_ = false;
  std::shared_ptr<const Hooks> hooks_ = std::make_shared<const Hooks>();

  std::atomic<std::uint64_t> transactions_{0};
  StorageCounters* counters_ = nullptr;  // set before the writer starts
  std::thread writer_;  // started by open() once everything above is built; joined last
};

}  // namespace cohort::storage
