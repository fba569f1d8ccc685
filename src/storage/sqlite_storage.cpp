// sqlite_storage.cpp — SqliteStorage: opening the file, the writer's group commit, load().
//
// Banners: opening, queueing (any thread), the writer (writer thread), reading (any thread).
// It must never hold mutex_ while running SQL or a callback, and never let an exception cross
// the Storage interface.
#include "storage/sqlite_storage.hpp"

#include "storage/stored_json.hpp"
#include "log/log.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <limits>

namespace cohort::storage {
namespace {

// Schema version kept in PRAGMA user_version; a file from a newer Cohort is refused.
constexpr int kSchemaVersion = SqliteStorage::kSchemaVersion;

constexpr const char* kSchemaTables =
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS ops(key TEXT NOT NULL, version INTEGER NOT NULL,"
    "  op TEXT NOT NULL, patch TEXT NOT NULL, PRIMARY KEY(key, version)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS snapshots(key TEXT NOT NULL PRIMARY KEY,"
    "  version INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID;"
    // One row, rewritten by each readiness probe (Storage::probe): a write that touches no key.
    "CREATE TABLE IF NOT EXISTS readiness_probe(id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);";

std::string db_error(sqlite3* db, std::string_view what) {
  return std::string(what) + ": " + sqlite3_errmsg(db);
}

// Resets a statement and clears its bindings when the scope ends, so it can be reused.
class StatementUse {
 public:
  explicit StatementUse(const Statement& stmt) : stmt_(stmt.get()) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
};

// Binds text without copying: the text must outlive the statement's next reset.
bool bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  return sqlite3_bind_text64(stmt, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8) ==
         SQLITE_OK;
}

bool bind_version(sqlite3_stmt* stmt, int index, std::uint64_t version) {
  return sqlite3_bind_int64(stmt, index, static_cast<sqlite3_int64>(version)) == SQLITE_OK;
}

// Runs a statement that returns no rows; true on success.
bool run(const Statement& stmt) {
  StatementUse use(stmt);
  return sqlite3_step(use.get()) == SQLITE_DONE;
}

std::string_view column_text(sqlite3_stmt* stmt, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return text ? std::string_view(text, sqlite3_column_bytes(stmt, column)) : std::string_view();
}

std::optional<std::string> parse_column(sqlite3_stmt* stmt, int column, const StoreLimits& limits, Row row,
                                        Json& out) {
  return parse_stored(column_text(stmt, column), limits, row, out);
}

// Runs a one-row, one-column query (a PRAGMA) and returns its value as text.
std::optional<std::string> query_text(sqlite3* db, const char* sql, std::string& out) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return db_error(db, sql);
  Statement stmt(raw);
  if (sqlite3_step(raw) != SQLITE_ROW) return db_error(db, sql);
  out = std::string(column_text(raw, 0));
  return std::nullopt;
}

std::optional<std::string> exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return db_error(db, sql);
  return std::nullopt;
}

// Prepares every (statement, sql) pair of a table; statements live as long as the connection.
std::optional<std::string> prepare_all(
    sqlite3* db, std::initializer_list<std::pair<Statement*, const char*>> table) {
  for (const auto& [stmt, sql] : table) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK)
      return db_error(db, sql);
    stmt->reset(raw);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> open_sqlite(const std::string& path, bool read_only, Connection& out) {
  sqlite3* raw = nullptr;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  out.reset(raw);
  if (rc != SQLITE_OK) return std::string("cannot open: ") + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, SqliteStorage::kBusyTimeoutMs);
  return std::nullopt;
}

namespace {

// WAL so readers never wait for the writer; synchronous=FULL so a COMMIT is on disk (the WAL
// is fsynced) before any `done` reports success: an acknowledged op survives a power loss, not
// only a kill -9. Group commit is what makes that fsync affordable.
std::optional<std::string> configure_writer(sqlite3* db) {
  std::string mode;
  if (auto error = query_text(db, "PRAGMA journal_mode=WAL", mode)) return error;
  if (mode != "wal") return "cannot switch to WAL journal mode (still '" + mode + "')";
  if (auto error = exec(db, "PRAGMA synchronous=FULL")) return error;
  std::string schema;
  if (auto error = query_text(db, "PRAGMA user_version", schema)) return error;
  if (std::stoi(schema) > kSchemaVersion)
    return "schema version " + schema + " was written by a newer Cohort (this one knows " +
           std::to_string(kSchemaVersion) + ")";
  const std::string schema_sql = std::string(kSchemaTables) + "PRAGMA user_version = " +
                                 std::to_string(kSchemaVersion) + "; COMMIT;";
  return exec(db, schema_sql.c_str());
}

// Runs every commit hook on one op; a hook that throws fails the batch with its message.
std::optional<std::string> run_hooks(sqlite3* db, const std::vector<Storage::CommitHook>& hooks,
                                     const CommitRecord& record) {
  for (const Storage::CommitHook& hook : hooks) {
    try {
      hook(db, record);
    } catch (const std::exception& e) {
      return std::string("commit hook failed: ") + e.what();
    } catch (...) {
      return std::string("commit hook failed");
    }
  }
  return std::nullopt;
}

void report_snapshot(const std::string& key, std::uint64_t version, const std::string& why) {
  log::event(log::Category::storage, log::Level::error, "snapshot_not_stored",
             {{"key", key}, {"version", version}, {"error", why}});
}

}  // namespace

// ---------------------------------------------------------------- opening

std::unique_ptr<SqliteStorage> SqliteStorage::open(const std::string& data_dir, std::string& error,
                                                   const StoreLimits& limits, StorageCounters* counters) {
  // A write past a file-size limit (RLIMIT_FSIZE) must fail with EFBIG — an error every op of
  // the batch gets — not kill the node with SIGXFSZ. Process-wide, and harmless to everything else.
  std::signal(SIGXFSZ, SIG_IGN);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    error = "storage: cannot create data directory " + data_dir + ": " + ec.message();
    return nullptr;
  }
  const std::string path = (std::filesystem::path(data_dir) / "cohort.db").string();
  Connection writer_db, reader_db;
  auto failure = open_sqlite(path, false, writer_db);
  if (!failure) failure = configure_writer(writer_db.get());
  if (!failure) failure = open_sqlite(path, false, reader_db);
  if (!failure) failure = exec(reader_db.get(), "PRAGMA query_only=1");
  if (failure) {
    error = "storage: " + path + ": " + *failure;
    const int code = writer_db ? sqlite3_errcode(writer_db.get()) & 0xff : SQLITE_OK;
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
      error += " — the file is damaged: restore the last backup (cohort restore), or move the file away to start empty";
    return nullptr;
  }
  auto storage = std::unique_ptr<SqliteStorage>(
      new SqliteStorage(path, limits, std::move(writer_db), std::move(reader_db)));
  if (auto prepare_error = storage->prepare()) {
    error = "storage: " + path + ": " + *prepare_error;
    return nullptr;
  }
  storage->counters_ = counters;
  storage->writer_ = std::thread([raw = storage.get()] { raw->run_writer(); });
  return storage;
}

SqliteStorage::SqliteStorage(std::string path, StoreLimits limits, Connection writer_db, Connection reader_db)
    : path_(std::move(path)), limits_(limits), writer_db_(std::move(writer_db)), reader_db_(std::move(reader_db)) {}

std::optional<std::string> SqliteStorage::prepare() {
  auto error = prepare_all(writer_db_.get(), {
      {&write_.begin, "BEGIN IMMEDIATE"},
      {&write_.commit, "COMMIT"},
      {&write_.rollback, "ROLLBACK"},
      {&write_.insert_op, "INSERT INTO ops(key, version, op, patch) VALUES(?1, ?2, ?3, ?4)"},
      {&write_.last_op_version, "SELECT MAX(version) FROM ops WHERE key = ?1"},
      {&write_.snapshot_version, "SELECT version FROM snapshots WHERE key = ?1"},
      {&write_.upsert_snapshot,
       "INSERT INTO snapshots(key, version, state) VALUES(?1, ?2, ?3) ON CONFLICT(key) "
       "DO UPDATE SET version = excluded.version, state = excluded.state"},
      {&write_.delete_ops, "DELETE FROM ops WHERE key = ?1 AND version <= ?2"},
      {&write_.probe,
       "INSERT INTO readiness_probe(id, at) VALUES(1, strftime('%s', 'now')) ON CONFLICT(id) DO UPDATE SET at = excluded.at"},
  });
  if (error) return error;
  return prepare_all(reader_db_.get(), {
      {&read_.begin, "BEGIN"},
      {&read_.end, "COMMIT"},
      {&read_.snapshot, "SELECT version, state FROM snapshots WHERE key = ?1"},
      {&read_.ops, "SELECT version, op, patch FROM ops WHERE key = ?1 AND version > ?2 ORDER BY version"},
      {&read_.keys, "SELECT key FROM snapshots UNION SELECT key FROM ops ORDER BY key"},
  });
}

SqliteStorage::~SqliteStorage() {
  if (!writer_.joinable()) return;  // open() failed before the writer started
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  writer_.join();  // the writer drains the queue before it returns
}

// ---------------------------------------------------------------- queueing (any thread)

void SqliteStorage::append(std::string key, std::uint64_t version, Json op, Json patch, Done done) {
  Item item;
  item.key = std::move(key);
  item.version = version;
  item.op_text = json::serialize(op);  // on the caller's thread: the writer is the bottleneck
  item.patch_text = json::serialize(patch);
  item.op = std::move(op);
  item.patch = std::move(patch);
  item.done = std::move(done);
  enqueue(std::move(item));
}

void SqliteStorage::snapshot(std::string key, std::uint64_t version, Json state) {
  Item item;
  item.is_snapshot = true;
  item.key = std::move(key);
  item.version = version;
  item.op_text = json::serialize(state);
  enqueue(std::move(item));
}

void SqliteStorage::probe(Done done) {
  Item item;
  item.is_probe = true;
  item.done = std::move(done);
  enqueue(std::move(item));
}

void SqliteStorage::enqueue(Item item) {
  const bool counted = !item.is_probe;  // the queue depth counts ops and snapshots, not probes
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(item));
    ++queued_;
    if (counters_ && counted) counters_->queued(1);
  }
  work_cv_.notify_one();
}

void SqliteStorage::add_commit_hook(CommitHook hook) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Hooks>(*hooks_);
  next->push_back(std::move(hook));
  hooks_ = std::move(next);
}

void SqliteStorage::flush() {
  if (std::this_thread::get_id() == writer_.get_id()) {
    log::event(log::Category::storage, log::Level::error, "flush_on_writer_thread",
               {{"error", "flush() called on the writer thread would wait for itself"}});
    log::drain();  // the line is out before the terminate
    std::terminate();
  }
  std::unique_lock lock(mutex_);
  const std::uint64_t target = queued_;
  finished_cv_.wait(lock, [&] { return finished_ >= target; });
}

StorageStatus SqliteStorage::status() const {
  std::lock_guard lock(mutex_);
  return StorageStatus{"sqlite", queued_ - finished_, last_error_};
}

// ---------------------------------------------------------------- the writer (writer thread)

void SqliteStorage::run_writer() {
  for (;;) {
    std::vector<Item> batch;
    std::shared_ptr<const Hooks> hooks;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is finished
      const std::size_t n = std::min(queue_.size(), kMaxBatchItems);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (counters_)
        counters_->queued(-std::count_if(batch.begin(), batch.end(), [](const Item& i) { return !i.is_probe; }));
      hooks = hooks_;
    }
    run_batch(batch, *hooks);
    {
      std::lock_guard lock(mutex_);
      finished_ += batch.size();
    }
    finished_cv_.notify_all();
  }
}

// One group transaction, then the reports: `done` for each append, the log for a lost snapshot.
void SqliteStorage::run_batch(std::vector<Item>& batch, const Hooks& hooks) {
  PendingVersions pending;
  const auto failure = write_items(batch, hooks, pending);
  if (counters_)
    counters_->transaction(std::count_if(batch.begin(), batch.end(), [](const Item& i) { return !i.is_snapshot && !i.is_probe; }),
                           failure.has_value());
  note_commit(failure, batch.size());
  if (!failure) {
    for (auto& [key, version] : pending) last_version_[key] = version;
    transactions_.fetch_add(1);
  } else {
    // A failed COMMIT may still have reached the disk: read these keys' versions from the file
    // next time, not from the cache.
    for (const Item& item : batch) last_version_.erase(item.key);
    std::lock_guard lock(mutex_);
    last_error_ = *failure;
  }
  for (Item& item : batch) {
    if (!item.error && failure)
      item.error = "storage: " + path_ + (item.is_probe ? "" : ": key '" + item.key + "'") + ": " + *failure;
    if (item.is_snapshot) {
      if (item.error) report_snapshot(item.key, item.version, *item.error);
    } else if (item.done) {
      item.done(std::move(item.error));
    }
  }
}

void SqliteStorage::note_commit(const std::optional<std::string>& failure, std::size_t writes) {
  if (failure) {
    static log::Throttled& failed = log::throttled(log::Category::storage, log::Level::error, "commit_failed");
    failed.event({{"db", path_}, {"writes", writes}, {"acknowledged", 0}, {"error", *failure}});
    if (failed_in_a_row_++ == 0) failing_since_ = std::chrono::steady_clock::now();
    return;
  }
  if (failed_in_a_row_ == 0) return;
  const auto failing = std::chrono::steady_clock::now() - failing_since_;
  log::event(log::Category::storage, log::Level::info, "commits_restored",
             {{"db", path_}, {"failed_transactions", failed_in_a_row_},
              {"failing_ms", std::chrono::duration_cast<std::chrono::milliseconds>(failing).count()}});
  failed_in_a_row_ = 0;
}

// Returns the error that fails the whole batch (rolled back), or nullopt once committed. An
// item refused on its own (a version gap) gets item.error and does not fail the others.
std::optional<std::string> SqliteStorage::write_items(std::vector<Item>& batch, const Hooks& hooks,
                                                      PendingVersions& pending) {
  sqlite3* db = writer_db_.get();
  if (!run(write_.begin)) return db_error(db, "BEGIN");
  std::optional<std::string> failure;
  for (Item& item : batch) {
    failure = item.is_probe      ? write_probe()
              : item.is_snapshot ? write_snapshot(item, pending)
                                 : write_append(item, hooks, pending);
    if (failure) break;
  }
  if (!failure && !run(write_.commit)) failure = db_error(db, "COMMIT");
  if (failure && !sqlite3_get_autocommit(db)) run(write_.rollback);
  return failure;
}

std::optional<std::string> SqliteStorage::write_append(Item& item, const Hooks& hooks,
                                                       PendingVersions& pending) {
  std::uint64_t last = 0;
  if (auto error = last_version(item.key, pending, last)) return error;
  if (item.version <= last) {
    item.error = "duplicate version " + std::to_string(item.version) + " for key '" + item.key +
                 "': last stored version is " + std::to_string(last);
    return std::nullopt;
  }
  if (item.version != last + 1 || item.version > std::numeric_limits<std::int64_t>::max()) {
    item.error = "version gap for key '" + item.key + "': expected " + std::to_string(last + 1) +
                 ", got " + std::to_string(item.version);
    return std::nullopt;
  }
  {
    StatementUse insert(write_.insert_op);
    if (!bind_text(insert.get(), 1, item.key) || !bind_version(insert.get(), 2, item.version) ||
        !bind_text(insert.get(), 3, item.op_text) || !bind_text(insert.get(), 4, item.patch_text) ||
        sqlite3_step(insert.get()) != SQLITE_DONE)
      return db_error(writer_db_.get(), "insert op");
  }
  pending[item.key] = item.version;
  return run_hooks(writer_db_.get(), hooks, CommitRecord{item.key, item.version, item.op, item.patch});
}

std::optional<std::string> SqliteStorage::write_snapshot(Item& item, PendingVersions& pending) {
  std::uint64_t last = 0;
  if (auto error = last_version(item.key, pending, last)) return error;
  if (item.version > last) {
    item.error = "version is above the last stored version " + std::to_string(last);
    return std::nullopt;
  }
  std::uint64_t current = 0;
  if (auto error = snapshot_version(item.key, current)) return error;
  if (item.version < current) {
    item.error = "version is below the stored snapshot's version " + std::to_string(current);
    return std::nullopt;
  }
  sqlite3* db = writer_db_.get();
  {
    StatementUse upsert(write_.upsert_snapshot);
    if (!bind_text(upsert.get(), 1, item.key) || !bind_version(upsert.get(), 2, item.version) ||
        !bind_text(upsert.get(), 3, item.op_text) || sqlite3_step(upsert.get()) != SQLITE_DONE)
      return db_error(db, "store snapshot");
  }
  StatementUse compact(write_.delete_ops);
  if (!bind_text(compact.get(), 1, item.key) || !bind_version(compact.get(), 2, item.version) ||
      sqlite3_step(compact.get()) != SQLITE_DONE)
    return db_error(db, "delete compacted ops");
  return std::nullopt;
}

std::optional<std::string> SqliteStorage::write_probe() {
  StatementUse probe(write_.probe);
  if (sqlite3_step(probe.get()) != SQLITE_DONE) return db_error(writer_db_.get(), "readiness probe");
  return std::nullopt;
}

// The key's last stored version: this batch's pending write, else the cache, else the file
// (the larger of its last op and its snapshot, since compaction may have emptied the log).
std::optional<std::string> SqliteStorage::last_version(const std::string& key,
                                                       const PendingVersions& pending,
                                                       std::uint64_t& out) {
  if (auto it = pending.find(key); it != pending.end()) return out = it->second, std::nullopt;
  if (auto it = last_version_.find(key); it != last_version_.end()) return out = it->second, std::nullopt;
  std::uint64_t from_snapshot = 0;
  if (auto error = snapshot_version(key, from_snapshot)) return error;
  StatementUse query(write_.last_op_version);
  if (!bind_text(query.get(), 1, key) || sqlite3_step(query.get()) != SQLITE_ROW)
    return db_error(writer_db_.get(), "read last version");
  const auto from_ops = static_cast<std::uint64_t>(sqlite3_column_int64(query.get(), 0));  // NULL → 0
  out = std::max(from_snapshot, from_ops);
  last_version_.emplace(key, out);  // committed state, valid even if this batch rolls back
  return std::nullopt;
}

std::optional<std::string> SqliteStorage::snapshot_version(const std::string& key, std::uint64_t& out) {
  StatementUse query(write_.snapshot_version);
  if (!bind_text(query.get(), 1, key)) return db_error(writer_db_.get(), "read snapshot version");
  const int rc = sqlite3_step(query.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(writer_db_.get(), "read snapshot version");
  out = rc == SQLITE_ROW ? static_cast<std::uint64_t>(sqlite3_column_int64(query.get(), 0)) : 0;
  return std::nullopt;
}

// ---------------------------------------------------------------- reading (any thread)

std::optional<std::string> SqliteStorage::load(std::string_view key, LoadedKey& out) {
  out = LoadedKey{};
  std::lock_guard lock(read_mutex_);
  sqlite3* db = reader_db_.get();
  if (!run(read_.begin)) return "storage: " + path_ + ": key '" + std::string(key) + "': " + db_error(db, "BEGIN");
  auto error = read_key(key, out);  // one read transaction: snapshot and ops agree
  if (!run(read_.end) && !sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  if (!error) return std::nullopt;
  out = LoadedKey{};
  return "storage: " + path_ + ": key '" + std::string(key) + "': " + *error;
}

std::optional<std::string> SqliteStorage::keys(std::vector<std::string>& out) {
  out.clear();
  std::lock_guard lock(read_mutex_);
  StatementUse query(read_.keys);
  int rc;
  while ((rc = sqlite3_step(query.get())) == SQLITE_ROW) out.emplace_back(column_text(query.get(), 0));
  if (rc != SQLITE_DONE) return "storage: " + path_ + ": " + db_error(reader_db_.get(), "list keys");
  return std::nullopt;
}

std::optional<std::string> SqliteStorage::check_structure() {
  std::lock_guard lock(read_mutex_);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(reader_db_.get(), "PRAGMA quick_check", -1, &raw, nullptr) != SQLITE_OK)
    return "storage: " + path_ + ": " + db_error(reader_db_.get(), "quick_check");
  Statement stmt(raw);
  std::string problems;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    std::string_view line = column_text(raw, 0);
    if (line != "ok") problems.append(problems.empty() ? "" : "; ").append(line);
  }
  if (rc != SQLITE_DONE) return "storage: " + path_ + " is damaged: " + db_error(reader_db_.get(), "quick_check");
  if (!problems.empty()) return "storage: " + path_ + " is damaged: " + problems;
  return std::nullopt;
}

std::optional<std::string> SqliteStorage::read_key(std::string_view key, LoadedKey& out) {
  sqlite3* db = reader_db_.get();
  {
    StatementUse query(read_.snapshot);
    if (!bind_text(query.get(), 1, key)) return db_error(db, "read snapshot");
    const int rc = sqlite3_step(query.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(db, "read snapshot");
    if (rc == SQLITE_ROW) {
      out.snapshot_version = static_cast<std::uint64_t>(sqlite3_column_int64(query.get(), 0));
      if (auto why = parse_column(query.get(), 1, limits_, Row::snapshot, out.snapshot))
        return "the snapshot at version " + std::to_string(out.snapshot_version) + " does not load: " + *why;
    }
  }
  StatementUse query(read_.ops);
  if (!bind_text(query.get(), 1, key) || !bind_version(query.get(), 2, out.snapshot_version))
    return db_error(db, "read ops");
  int rc;
  while ((rc = sqlite3_step(query.get())) == SQLITE_ROW) {
    StoredOp op;
    op.version = static_cast<std::uint64_t>(sqlite3_column_int64(query.get(), 0));
    const std::uint64_t expected = out.snapshot_version + out.ops.size() + 1;
    if (op.version != expected)
      return "corrupt log: expected version " + std::to_string(expected) + ", found " + std::to_string(op.version);
    auto why = parse_column(query.get(), 1, limits_, Row::op_log, op.op);
    if (!why) why = parse_column(query.get(), 2, limits_, Row::op_log, op.patch);
    if (why) return "the op at version " + std::to_string(op.version) + " does not load: " + *why;
    out.ops.push_back(std::move(op));
  }
  if (rc != SQLITE_DONE) return db_error(db, "read ops");
  return std::nullopt;
}

}  // namespace cohort::storage

namespace cohort {
std::unique_ptr<Storage> open_sqlite_storage(const std::string& data_dir, std::string& error,
                                             const StoreLimits& limits) {
  return storage::SqliteStorage::open(data_dir, error, limits);
}
std::unique_ptr<Storage> storage::open_sqlite_recording(const std::string& data_dir, std::string& error,
                                                      const StoreLimits& limits, StorageCounters* counters) {
  return SqliteStorage::open(data_dir, error, limits, counters);
}
}  // namespace cohort
