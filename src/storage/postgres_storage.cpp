// postgres_storage.cpp — Storage on PostgreSQL (libpq), for nodes that share their durable state.
//
// Schema (created if missing):
//   store_ops(key, version, op, patch)  PRIMARY KEY (key, version)   — the op log
//   store_snapshots(key, version, state) PRIMARY KEY (key)           — at most one per key
//   store_fences(key, token)             PRIMARY KEY (key)           — the highest fence written
// Guarantees: as storage.hpp (contiguous versions, group commit of up to kMaxBatch queued
// appends per transaction, `done` after COMMIT, load of what is committed). Fencing: after
// take_fence(key) increments store_fences.token for key and this Storage's writes for key carry
// the result; a write is refused (error in `done`, nothing stored) when store_fences holds a
// higher token — checked in the same transaction, so a stale owner can never write after a
// newer one took the key, even before the newer one wrote. The database allocates the tokens,
// so they keep rising whatever happens to the cluster's Redis.
// Failure: a lost connection is reset before the next batch; every op of a failed batch gets the
// error and the version cache of its keys is dropped (re-read from the database next time).
// Commit hooks are SQLite-only (they get a sqlite3*): add_commit_hook throws here.
// Threads: any-thread queueing under mutex_; one writer thread owns writer_; load() uses its
// own connection under read_mutex_. Never holds mutex_ while running SQL or a callback.
#include "cohort/storage.hpp"

#include <libpq-fe.h>

#include <boost/json/serialize.hpp>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "storage/storage_counters.hpp"
#include "storage/stored_json.hpp"
#include "auth/redact.hpp"
#include "log/log.hpp"

namespace cohort::storage {

constexpr std::size_t kMaxBatch = 512;

// One transaction under an advisory lock: nodes of a cluster starting together against a new
// database would otherwise race in CREATE TABLE IF NOT EXISTS (PostgreSQL then fails one of
// them on its catalog's unique index).
constexpr const char* kSchema =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(7270113);"
    "CREATE TABLE IF NOT EXISTS store_ops(key TEXT NOT NULL, version BIGINT NOT NULL, op TEXT NOT NULL,"
    " patch TEXT NOT NULL, PRIMARY KEY(key, version));"
    "CREATE TABLE IF NOT EXISTS store_snapshots(key TEXT PRIMARY KEY, version BIGINT NOT NULL, state TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS store_fences(key TEXT PRIMARY KEY, token BIGINT NOT NULL);"
    "COMMIT;";

struct ConnClose {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnClose>;
struct ResultClear {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultClear>;

// Runs sql with text parameters; the result, or nullptr and error set.
static Result exec(PGconn* c, const char* sql, std::initializer_list<std::string> params, std::string& error) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  Result r(PQexecParams(c, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  auto status = PQresultStatus(r.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    error = PQerrorMessage(c);
    while (!error.empty() && error.back() == '\n') error.pop_back();
    return nullptr;
  }
  return r;
}

static Conn connect(const std::string& url, std::string& error) {
  Conn c(PQconnectdb(url.c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    error = "cannot connect to PostgreSQL at " + auth::redact_url(url) + ": " + PQerrorMessage(c.get());
    while (!error.empty() && error.back() == '\n') error.pop_back();
    return nullptr;
  }
  Result quiet(PQexec(c.get(), "SET client_min_messages = warning"));
  return c;
}

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::string url, StoreLimits limits, Conn writer, Conn reader, StorageCounters* counters = nullptr)
      : url_(std::move(url)), limits_(limits), counters_(counters), writer_(std::move(writer)), reader_(std::move(reader)) {
    thread_ = std::thread([this] { run_writer(); });
  }
  ~PostgresStorage() override {
    flush();
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void append(std::string key, std::uint64_t version, Json op, Json patch, Done done) override {
    push(Job{Job::append, std::move(key), version, json::serialize(op), json::serialize(patch), std::move(done)});
  }
  void snapshot(std::string key, std::uint64_t version, Json state) override {
    push(Job{Job::snapshot, std::move(key), version, json::serialize(state), {}, {}});
  }
  void take_fence(std::string key, Done done) override {
    push(Job{Job::fence, std::move(key), 0, {}, {}, std::move(done)});
  }
  void probe(Done done) override { push(Job{Job::probe, {}, 0, {}, {}, std::move(done)}); }
  void on_fenced(std::function<void(const std::string& key)> fn) override { on_fenced_ = std::move(fn); }
  void add_commit_hook(CommitHook) override {
    throw std::logic_error("commit hooks are SQLite-only: the PostgreSQL storage runs none");
  }
  void flush() override;
  std::optional<std::string> load(std::string_view key, LoadedKey& out) override;
  std::optional<std::string> read_key(const std::string& key, LoadedKey& out);
  // Whether the read connection broke (its next use reconnects).
  bool reader_lost() {
    std::lock_guard lock(read_mutex_);
    return PQstatus(reader_.get()) != CONNECTION_OK;
  }
  std::optional<std::string> keys(std::vector<std::string>& out) override;
  StorageStatus status() const override {
    std::lock_guard lock(mutex_);
    return StorageStatus{"postgres", queue_.size(), last_error_};
  }

 private:
  struct Job {
    enum Kind { append, snapshot, fence, probe, marker } kind;
    std::string key;
    std::uint64_t version;
    std::string text;   // op (append) or state (snapshot)
    std::string patch;
    Done done;
  };

  void push(Job job) {
    const bool counted = job.kind != Job::probe;  // the queue depth counts ops and snapshots
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(std::move(job));
    }
    if (counters_ && counted) counters_->queued(1);
    cv_.notify_all();
  }
  void run_writer();
  void run_batch(std::vector<Job>& batch);
  std::optional<std::string> write(const Job& job);
  std::optional<std::uint64_t> last_version(const std::string& key, std::string& error);

  std::string url_;
  StoreLimits limits_;  // what rows may hold when read back
  StorageCounters* counters_;  // may be null
  std::function<void(const std::string& key)> on_fenced_;  // set before the first write
  std::vector<std::string> fenced_keys_;  // this batch's writes that a fence refused; writer thread
  Conn writer_;  // writer thread only
  // Writer thread only: whether the writer's connection was up at the last batch, and since when
  // it is down (the log's connection_lost / connection_restored lines).
  bool writer_up_ = true;
  std::chrono::steady_clock::time_point writer_down_since_;
  void note_writer(bool up);
  Conn reader_;
  std::mutex read_mutex_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::string last_error_;  // guarded by mutex_: the last failed transaction's error
  std::uint64_t done_batches_ = 0, queued_markers_ = 0;
  bool stopping_ = false;
  std::thread thread_;
  // Writer thread only: the last stored version per key (a cache) and this node's fences.
  std::map<std::string, std::uint64_t, std::less<>> last_;
  std::map<std::string, std::uint64_t, std::less<>> fences_;
};

void PostgresStorage::flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t mine = ++queued_markers_;
  queue_.push_back(Job{Job::marker, {}, mine, {}, {}, {}});
  cv_.notify_all();
  cv_.wait(lock, [&] { return done_batches_ >= mine || stopping_; });
}

void PostgresStorage::run_writer() {
  for (;;) {
    std::vector<Job> batch;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        if (counters_ && queue_.front().kind != Job::marker && queue_.front().kind != Job::probe) counters_->queued(-1);
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
  }
}

// The last stored version of key (snapshot or op), from the cache or the database.
std::optional<std::uint64_t> PostgresStorage::last_version(const std::string& key, std::string& error) {
  if (auto it = last_.find(key); it != last_.end()) return it->second;
  auto r = exec(writer_.get(),
                "SELECT GREATEST((SELECT max(version) FROM store_ops WHERE key=$1),"
                " (SELECT version FROM store_snapshots WHERE key=$1), 0)",
                {key}, error);
  if (!r) return std::nullopt;
  std::uint64_t v = std::stoull(PQgetvalue(r.get(), 0, 0));
  last_[key] = v;
  return v;
}

// One job inside the open transaction: nullopt when written, else why it was refused.
std::optional<std::string> PostgresStorage::write(const Job& job) {
  std::string error;
  if (job.kind == Job::probe) {
    // Assigning a transaction id is a write the COMMIT must log: refused by a standby, and fails
    // when the server is gone or cannot write its WAL.
    if (!exec(writer_.get(), "SELECT txid_current()", {}, error)) return error;
    return std::nullopt;
  }
  if (job.kind == Job::fence) {
    auto r = exec(writer_.get(),
                  "INSERT INTO store_fences(key, token) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE"
                  " SET token = store_fences.token + 1 RETURNING token",
                  {job.key}, error);
    if (!r) return error;
    fences_[job.key] = std::stoull(PQgetvalue(r.get(), 0, 0));
    last_.erase(job.key);  // another node may have written the key since this one last did
    return std::nullopt;
  }
  if (auto f = fences_.find(job.key); f != fences_.end()) {
    auto r = exec(writer_.get(),
                  "INSERT INTO store_fences(key, token) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE"
                  " SET token = EXCLUDED.token WHERE store_fences.token <= EXCLUDED.token RETURNING token",
                  {job.key, std::to_string(f->second)}, error);
    if (!r) return error;
    if (PQntuples(r.get()) == 0) fenced_keys_.push_back(job.key);
    if (PQntuples(r.get()) == 0) return "fenced: a newer owner of " + job.key + " holds a higher token (token " +
                                        std::to_string(f->second) + " is stale)";
  }
  auto last = last_version(job.key, error);
  if (!last) return error;
  if (job.kind == Job::append) {
    if (job.version != *last + 1)
      return "version " + std::to_string(job.version) + " of " + job.key + " does not follow " + std::to_string(*last);
    if (!exec(writer_.get(), "INSERT INTO store_ops(key, version, op, patch) VALUES ($1, $2, $3, $4)",
              {job.key, std::to_string(job.version), job.text, job.patch}, error))
      return error;
    last_[job.key] = job.version;
    return std::nullopt;
  }
  if (job.version > *last) return "snapshot at " + std::to_string(job.version) + " is past the last op";
  if (!exec(writer_.get(),
            "INSERT INTO store_snapshots(key, version, state) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE"
            " SET version = EXCLUDED.version, state = EXCLUDED.state WHERE store_snapshots.version <= EXCLUDED.version",
            {job.key, std::to_string(job.version), job.text}, error) ||
      !exec(writer_.get(), "DELETE FROM store_ops WHERE key = $1 AND version <= $2",
            {job.key, std::to_string(job.version)}, error))
    return error;
  return std::nullopt;
}

// An outage of PostgreSQL and its end, each logged once (not once per failed batch).
void PostgresStorage::note_writer(bool up) {
  if (up == writer_up_) return;
  writer_up_ = up;
  const std::string db = auth::redact_url(url_);
  if (!up) {
    writer_down_since_ = std::chrono::steady_clock::now();
    log::event(log::Category::storage, log::Level::error, "connection_lost",
               {{"db", db}, {"error", PQerrorMessage(writer_.get())}});
    return;
  }
  const auto down = std::chrono::steady_clock::now() - writer_down_since_;
  log::event(log::Category::storage, log::Level::info, "connection_restored",
             {{"db", db}, {"down_ms", std::chrono::duration_cast<std::chrono::milliseconds>(down).count()}});
}

void PostgresStorage::run_batch(std::vector<Job>& batch) {
  std::string error;
  if (PQstatus(writer_.get()) != CONNECTION_OK) PQreset(writer_.get());
  note_writer(PQstatus(writer_.get()) == CONNECTION_OK);
  bool open = PQstatus(writer_.get()) == CONNECTION_OK && exec(writer_.get(), "BEGIN", {}, error);
  struct Outcome {
    Done done;
    std::optional<std::string> why;
    std::string key;
  };
  std::vector<Outcome> outcomes;
  std::uint64_t markers = 0;
  for (auto& job : batch) {
    if (job.kind == Job::marker) {
      markers = job.version;
      continue;
    }
    std::optional<std::string> why = open ? write(job) : std::optional<std::string>("PostgreSQL unavailable: " + error);
    if (why && job.kind == Job::snapshot)
      log::event(log::Category::storage, log::Level::warn, "snapshot_not_stored", {{"key", job.key}, {"error", *why}});
    if (why && open && PQtransactionStatus(writer_.get()) == PQTRANS_INERROR) {
      // A failed statement aborts the transaction: nothing of it can commit.
      open = false;
      error = *why;
    }
    if (job.done) outcomes.push_back({std::move(job.done), std::move(why), job.key});
  }
  if (open && !exec(writer_.get(), "COMMIT", {}, error)) open = false;
  if (!open) note_writer(PQstatus(writer_.get()) == CONNECTION_OK);
  if (!open && writer_up_) {
    static log::Throttled& failed = log::throttled(log::Category::storage, log::Level::error, "commit_failed");
    failed.event({{"db", auth::redact_url(url_)}, {"writes", outcomes.size()}, {"acknowledged", 0}, {"error", error}});
  }
  if (counters_) {
    std::size_t ops = 0, writes = 0;
    for (const auto& job : batch) {
      ops += job.kind == Job::append;
      writes += job.kind != Job::marker && job.kind != Job::probe;  // a readiness probe is no write of ops
    }
    counters_->transaction(ops, !open && writes > 0);
  }
  if (!open) {
    {
      std::lock_guard lock(mutex_);
      last_error_ = error;
    }
    if (PQstatus(writer_.get()) == CONNECTION_OK) exec(writer_.get(), "ROLLBACK", {}, error);
    last_.clear();  // what was counted as written was not
    for (auto& o : outcomes)
      if (!o.why) o.why = "transaction failed: " + error;
  }
  if (on_fenced_)
    for (const auto& key : fenced_keys_) on_fenced_(key);
  fenced_keys_.clear();
  for (auto& o : outcomes) {
    const std::string which = o.key.empty() ? "" : "key '" + o.key + "': ";  // a probe has no key
    o.done(o.why ? std::optional("storage: PostgreSQL: " + which + *o.why) : std::nullopt);
  }
  if (markers) {
    std::lock_guard lock(mutex_);
    done_batches_ = std::max(done_batches_, markers);
  }
  cv_.notify_all();
}

std::optional<std::string> PostgresStorage::load(std::string_view key, LoadedKey& out) {
  auto error = read_key(std::string(key), out);
  if (error && reader_lost()) error = read_key(std::string(key), out);  // a server restart: once more, connected anew
  if (!error) return std::nullopt;
  out = LoadedKey{};
  return "storage: PostgreSQL: key '" + std::string(key) + "': " + *error;
}

std::optional<std::string> PostgresStorage::read_key(const std::string& key, LoadedKey& out) {
  std::lock_guard lock(read_mutex_);
  std::string error;
  if (PQstatus(reader_.get()) != CONNECTION_OK) PQreset(reader_.get());
  out = LoadedKey{};
  auto snap = exec(reader_.get(), "SELECT version, state FROM store_snapshots WHERE key = $1", {key}, error);
  if (!snap) return error;
  if (PQntuples(snap.get()) == 1) {
    out.snapshot_version = std::stoull(PQgetvalue(snap.get(), 0, 0));
    if (auto why = parse_stored(PQgetvalue(snap.get(), 0, 1), limits_, Row::snapshot, out.snapshot))
      return "the snapshot at version " + std::to_string(out.snapshot_version) + " does not load: " + *why;
  }
  auto ops = exec(reader_.get(), "SELECT version, op, patch FROM store_ops WHERE key = $1 AND version > $2 ORDER BY version",
                  {key, std::to_string(out.snapshot_version)}, error);
  if (!ops) return error;
  for (int i = 0; i < PQntuples(ops.get()); ++i) {
    StoredOp op;
    op.version = std::stoull(PQgetvalue(ops.get(), i, 0));
    auto why = parse_stored(PQgetvalue(ops.get(), i, 1), limits_, Row::op_log, op.op);
    if (!why) why = parse_stored(PQgetvalue(ops.get(), i, 2), limits_, Row::op_log, op.patch);
    if (why) return "the op at version " + std::to_string(op.version) + " does not load: " + *why;
    out.ops.push_back(std::move(op));
  }
  return std::nullopt;
}

std::optional<std::string> PostgresStorage::keys(std::vector<std::string>& out) {
  std::lock_guard lock(read_mutex_);
  std::string error;
  out.clear();
  if (PQstatus(reader_.get()) != CONNECTION_OK) PQreset(reader_.get());
  auto rows = exec(reader_.get(), "SELECT key FROM store_snapshots UNION SELECT key FROM store_ops ORDER BY key", {}, error);
  if (!rows) return error;
  for (int i = 0; i < PQntuples(rows.get()); ++i) out.emplace_back(PQgetvalue(rows.get(), i, 0));
  return std::nullopt;
}

}  // namespace cohort::storage

namespace cohort {

using storage::Conn;
using storage::Result;

std::unique_ptr<Storage> storage::open_postgres_recording(const std::string& url, std::string& error,
                                                        const StoreLimits& limits, StorageCounters* counters) {
  Conn writer = storage::connect(url, error);
  if (!writer) return nullptr;
  Conn reader = storage::connect(url, error);
  if (!reader) return nullptr;
  Result schema(PQexec(writer.get(), storage::kSchema));  // several statements: the simple protocol
  if (PQresultStatus(schema.get()) != PGRES_COMMAND_OK) {
    error = std::string("cannot create the storage tables: ") + PQerrorMessage(writer.get());
    return nullptr;
  }
  return std::make_unique<storage::PostgresStorage>(url, limits, std::move(writer), std::move(reader), counters);
}

std::unique_ptr<Storage> open_postgres_storage(const std::string& url, std::string& error,
                                               const StoreLimits& limits) {
  return storage::open_postgres_recording(url, error, limits, nullptr);
}

}  // namespace cohort
