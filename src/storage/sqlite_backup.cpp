// sqlite_backup.cpp — backup_store() and restore_store(): see sqlite_backup.hpp.
//
// Banners: queries, files (temporary copies, fsync, publishing), the copy (census, pages,
// settling, verification), backup, restore. It must never write to the source store, and never
// leave anything but a whole verified copy at OUT or at <data_dir>/cohort.db.
#include "storage/sqlite_backup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "storage/data_dir_lock.hpp"
#include "storage/sqlite_storage.hpp"

namespace cohort::storage {
namespace {

namespace fs = std::filesystem;
using Error = std::optional<std::string>;
using Clock = std::chrono::steady_clock;

constexpr const char* kStoreFile = "cohort.db";
constexpr const char* kKeptSuffix = ".before-restore";
// Pages per sqlite3_backup_step: the grain of pacing (1 MiB of 4 KiB pages).
constexpr int kPagesPerStep = 256;
// A step that finds a lock (SQLITE_BUSY / SQLITE_LOCKED) is retried this long before failing.
constexpr auto kBusyRetryFor = std::chrono::milliseconds(SqliteStorage::kBusyTimeoutMs);
constexpr int kIntegrityErrorsShown = 8;
// The copy is flushed to disk every this many bytes while it is written. One flush of the whole
// copy at the end would queue the node's commit fsyncs behind it (measured: 150-300 ms stalls
// for a 200 MiB store); small flushes keep each wait short.
constexpr std::uint64_t kFlushEveryBytes = 8u << 20;

// ---------------------------------------------------------------- queries

Error exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return std::string(sql) + ": " + sqlite3_errmsg(db);
  return std::nullopt;
}

// Runs sql, calling row() with each result row's first column as text.
Error each_row(sqlite3* db, const char* sql, const std::function<void(std::string_view)>& row) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return std::string(sql) + ": " + sqlite3_errmsg(db);
  Statement stmt(raw);
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    row(text ? std::string_view(text, sqlite3_column_bytes(raw, 0)) : std::string_view());
  }
  if (rc != SQLITE_DONE) return std::string(sql) + ": " + sqlite3_errmsg(db);
  return std::nullopt;
}

Error one_number(sqlite3* db, const char* sql, std::uint64_t& out) {
  out = 0;
  return each_row(db, sql, [&](std::string_view text) { out = std::strtoull(std::string(text).c_str(), nullptr, 10); });
}

// ---------------------------------------------------------------- files

std::string with_pid(const std::string& path, const char* tag) {
  return path + tag + std::to_string(::getpid());
}

// A copy being written: removed (with its journal) unless kept() was called.
class TempCopy {
 public:
  explicit TempCopy(std::string path) : path_(std::move(path)) { remove(); }
  ~TempCopy() {
    if (!kept_) remove();
  }
  TempCopy(const TempCopy&) = delete;
  TempCopy& operator=(const TempCopy&) = delete;
  const std::string& path() const { return path_; }
  void kept() { kept_ = true; }

 private:
  void remove() {
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path_ + suffix, ec);
  }
  std::string path_;
  bool kept_ = false;
};

Error fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + " to sync it: " + std::strerror(errno);
  const int rc = ::fsync(fd);
  const int why = errno;
  ::close(fd);
  if (rc != 0) return "fsync " + path + ": " + std::strerror(why);
  return std::nullopt;
}

std::string parent_dir(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// Gives the synced copy its final name. Without replace, an existing dest is refused even if it
// appeared while the copy ran (link() never replaces).
Error publish(const std::string& temp, const std::string& dest, bool replace) {
  if (replace) {
    if (::rename(temp.c_str(), dest.c_str()) != 0) return "cannot rename " + temp + " to " + dest + ": " + std::strerror(errno);
  } else {
    if (::link(temp.c_str(), dest.c_str()) != 0) {
      if (errno == EEXIST) return dest + " exists (pass --force to replace it)";
      return "cannot link " + temp + " to " + dest + ": " + std::strerror(errno);
    }
    ::unlink(temp.c_str());
  }
  return fsync_path(parent_dir(dest), true);
}

Error require_file(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return path + ": no such file";
  if (!fs::is_regular_file(path, ec)) return path + ": not a regular file";
  return std::nullopt;
}

// ---------------------------------------------------------------- the copy

// Counts what db holds; refuses a file that is not a Cohort store this build can load. The
// first query of an open BEGIN starts its read transaction: the snapshot everything else sees.
Error read_census(sqlite3* db, StoreCensus& out) {
  std::uint64_t version = 0, tables = 0;
  if (auto e = one_number(db, "PRAGMA user_version", version)) return e;
  if (auto e = one_number(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('ops', 'snapshots')", tables))
    return e;
  if (tables != 2 || version == 0)
    return "not a Cohort store (no ops and snapshots tables at a schema version)";
  if (version > static_cast<std::uint64_t>(SqliteStorage::kSchemaVersion))
    return "schema version " + std::to_string(version) + " was written by a newer Cohort (this one knows " +
           std::to_string(SqliteStorage::kSchemaVersion) + ")";
  out.schema_version = static_cast<int>(version);
  if (auto e = one_number(db, "SELECT count(*) FROM (SELECT key FROM ops UNION SELECT key FROM snapshots)", out.keys)) return e;
  if (auto e = one_number(db, "SELECT count(*) FROM ops", out.ops)) return e;
  return one_number(db, "SELECT count(*) FROM snapshots", out.snapshots);
}

Error check_integrity(sqlite3* db) {
  std::string report;
  const std::string sql = "PRAGMA integrity_check(" + std::to_string(kIntegrityErrorsShown) + ")";
  if (auto e = each_row(db, sql.c_str(), [&](std::string_view line) { report += (report.empty() ? "" : "; ") + std::string(line); }))
    return e;
  if (report != "ok") return "integrity_check failed: " + report;
  return std::nullopt;
}

// Sleeps so that bytes copied so far took at least bytes / rate since the start.
class Pacer {
 public:
  explicit Pacer(double mib_per_s) : bytes_per_s_(mib_per_s * 1024 * 1024) {}
  void after(std::uint64_t bytes_done) const {
    if (bytes_per_s_ <= 0) return;
    std::this_thread::sleep_until(start_ + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(bytes_done / bytes_per_s_)));
  }

 private:
  double bytes_per_s_;
  Clock::time_point start_ = Clock::now();
};

// Flushes a file being written every kFlushEveryBytes (through a descriptor of its own: an
// fdatasync covers every dirty page of the file, whoever wrote it).
class SteadyFlush {
 public:
  explicit SteadyFlush(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CLOEXEC)) {}
  ~SteadyFlush() {
    if (fd_ >= 0) ::close(fd_);
  }
  SteadyFlush(const SteadyFlush&) = delete;
  SteadyFlush& operator=(const SteadyFlush&) = delete;
  void after(std::uint64_t bytes_done) {
    if (fd_ < 0 || bytes_done < flushed_ + kFlushEveryBytes) return;
    ::fdatasync(fd_);  // a failure shows in the final fsync, which is checked
    flushed_ = bytes_done;
  }

 private:
  int fd_;
  std::uint64_t flushed_ = 0;
};

// Runs the steps of a copy to the end: SQLITE_DONE, or the error that stopped it. A step that
// meets a lock is retried for a while; the copy is flushed and paced as it goes.
int run_steps(sqlite3_backup* backup, const std::string& dest_path, std::uint64_t page_bytes,
              double max_mib_per_s, bool& restarted) {
  const Pacer pacer(max_mib_per_s);
  SteadyFlush flush(dest_path);  // sqlite3_open_v2 has created the file
  auto busy_until = Clock::now() + kBusyRetryFor;
  int done = 0;
  for (;;) {
    const int rc = sqlite3_backup_step(backup, kPagesPerStep);
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && Clock::now() < busy_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (rc != SQLITE_OK) return rc;
    busy_until = Clock::now() + kBusyRetryFor;
    const int now_done = sqlite3_backup_pagecount(backup) - sqlite3_backup_remaining(backup);
    // SQLite starts a copy over when the source changes under it; inside one read transaction
    // that cannot happen, and if it did the snapshot would not be one: fail rather than loop.
    if ((restarted = now_done < done)) return SQLITE_ABORT;
    done = now_done;
    flush.after(static_cast<std::uint64_t>(done) * page_bytes);
    pacer.after(static_cast<std::uint64_t>(done) * page_bytes);
  }
}

// Copies every page of src — inside its open read transaction, so one snapshot — into a new
// file at dest_path, written without a journal (nothing publishes it before it is settled,
// verified and synced).
Error copy_pages(sqlite3* src, const std::string& dest_path, double max_mib_per_s) {
  std::uint64_t page_bytes = 0;
  if (auto e = one_number(src, "PRAGMA page_size", page_bytes)) return e;
  Connection dest;
  if (auto e = open_sqlite(dest_path, false, dest)) return e;
  if (auto e = exec(dest.get(), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF")) return e;
  sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", src, "main");
  if (!backup) return std::string("cannot start the copy: ") + sqlite3_errmsg(dest.get());
  bool restarted = false;
  const int rc = run_steps(backup, dest_path, page_bytes, max_mib_per_s, restarted);
  const int finished = sqlite3_backup_finish(backup);  // a failed step's error stays on dest
  if (restarted) return std::string("copy failed: the source changed under the copy's read transaction");
  if (finished != SQLITE_OK || rc != SQLITE_DONE) return std::string("copy failed: ") + sqlite3_errmsg(dest.get());
  return std::nullopt;
}

// The copy carries the source's WAL header flag; rollback-journal mode makes it one
// self-contained file (opening it in WAL mode, then leaving it, rewrites the flag).
Error settle(const std::string& path) {
  Connection db;
  if (auto e = open_sqlite(path, false, db)) return e;
  std::string mode;
  if (auto e = each_row(db.get(), "PRAGMA journal_mode=DELETE", [&](std::string_view m) { mode = m; })) return e;
  if (mode != "delete") return "cannot leave WAL mode (journal_mode is '" + mode + "')";
  return std::nullopt;
}

// Checks the written copy on its own: integrity, schema, and the rows the source snapshot had.
Error verify_copy(const std::string& path, const StoreCensus& expected) {
  Connection db;
  if (auto e = open_sqlite(path, true, db)) return e;
  StoreCensus found;
  Error e = exec(db.get(), "BEGIN");
  if (!e) e = check_integrity(db.get());
  if (!e) e = read_census(db.get(), found);
  if (e) return e;
  if (!found.same_rows(expected))
    return "the copy holds " + std::to_string(found.keys) + " keys, " + std::to_string(found.ops) + " ops, " +
           std::to_string(found.snapshots) + " snapshots; its source " + std::to_string(expected.keys) + ", " +
           std::to_string(expected.ops) + ", " + std::to_string(expected.snapshots);
  return std::nullopt;
}

// src (source_path, in an open read transaction) → temp: copied, settled, verified against
// census, synced. Errors name both files.
Error write_verified_copy(sqlite3* src, const std::string& source_path, const StoreCensus& census,
                          const TempCopy& temp, double max_mib_per_s) {
  Error e = copy_pages(src, temp.path(), max_mib_per_s);
  if (!e) e = settle(temp.path());
  if (!e) e = verify_copy(temp.path(), census);
  if (!e) e = fsync_path(temp.path(), false);
  if (e) return "copying " + source_path + " into " + temp.path() + ": " + *e;
  return std::nullopt;
}

// Opens path read-only and starts the read transaction the whole copy will see.
Error open_snapshot(const std::string& path, Connection& db, StoreCensus& census) {
  if (auto e = require_file(path)) return e;
  Error e = open_sqlite(path, true, db);
  if (!e) e = exec(db.get(), "BEGIN");
  if (!e) e = read_census(db.get(), census);
  if (e) return path + ": " + *e;
  return std::nullopt;
}

std::uint64_t file_bytes(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(n);
}

// ---------------------------------------------------------------- restore steps

// Moves the store being replaced to kept: checkpointed first (so the file is whole without its
// WAL), linked under the new name (cohort.db never goes missing), its WAL and shared-memory
// files moved or removed so that none is applied to the restored file.
Error set_aside(const std::string& db_path, const std::string& kept) {
  {
    Connection old;
    if (!open_sqlite(db_path, false, old)) exec(old.get(), "PRAGMA wal_checkpoint(TRUNCATE)");  // best effort
  }  // closing the last connection also checkpoints and removes the WAL
  if (::link(db_path.c_str(), kept.c_str()) != 0)
    return "cannot keep " + db_path + " as " + kept + ": " + std::strerror(errno);
  std::error_code ec;
  if (fs::exists(db_path + "-wal", ec)) {  // the checkpoint failed: the WAL goes with its file
    fs::rename(db_path + "-wal", kept + "-wal", ec);
    if (ec) return "cannot move " + db_path + "-wal to " + kept + "-wal: " + ec.message();
  }
  fs::remove(db_path + "-shm", ec);
  if (ec) return "cannot remove " + db_path + "-shm: " + ec.message();
  return std::nullopt;
}

// What must hold before a restore may replace anything in data_dir.
Error check_target(const std::string& db_path, const std::string& kept, bool force) {
  std::error_code ec;
  if (fs::exists(db_path, ec)) {
    if (!force) return db_path + " exists: pass --force to replace it (it is then kept as " + kept + ")";
    if (fs::exists(kept, ec)) return kept + " exists (kept by an earlier restore): move it away first";
  } else if (fs::exists(db_path + "-wal", ec)) {
    return db_path + "-wal exists without " + db_path + ": move it away first (it would be applied to the restored file)";
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------- backup

std::optional<std::string> backup_store(const std::string& data_dir, const std::string& out,
                                        const BackupOptions& options, StoreCensus& copied) {
  const std::string source = (fs::path(data_dir) / kStoreFile).string();
  std::error_code ec;
  if (fs::is_directory(out, ec)) return out + " is a directory: name the backup file";
  if (!options.force && fs::exists(out, ec)) return out + " exists (pass --force to replace it)";
  Connection src;
  StoreCensus census;
  if (auto e = open_snapshot(source, src, census)) return e;
  TempCopy temp(with_pid(out, ".partial-"));
  if (auto e = write_verified_copy(src.get(), source, census, temp, options.max_mib_per_s)) return e;
  src.reset();  // ends the read transaction: the node's WAL may be checkpointed again
  if (auto e = publish(temp.path(), out, options.force)) return e;
  temp.kept();
  copied = census;
  copied.bytes = file_bytes(out);
  return std::nullopt;
}

// ---------------------------------------------------------------- restore

std::optional<std::string> restore_store(const std::string& data_dir, const std::string& in, bool force,
                                         RestoreOutcome& outcome) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return "cannot create data directory " + data_dir + ": " + ec.message();
  std::string lock_error;
  const auto lock = DataDirLock::acquire(data_dir, lock_error);
  if (!lock) return "cannot restore: " + lock_error;
  const std::string db_path = (fs::path(data_dir) / kStoreFile).string();
  const std::string kept = db_path + kKeptSuffix;
  if (auto e = check_target(db_path, kept, force)) return e;

  Connection src;
  StoreCensus census;
  if (auto e = open_snapshot(in, src, census)) return e;
  if (auto e = check_integrity(src.get())) return in + ": " + *e;
  TempCopy temp(with_pid(db_path, ".restore-"));
  if (auto e = write_verified_copy(src.get(), in, census, temp, 0)) return e;
  src.reset();

  const bool replacing = fs::exists(db_path, ec);
  if (replacing)
    if (auto e = set_aside(db_path, kept)) return e;
  if (auto e = publish(temp.path(), db_path, true)) return e;
  temp.kept();
  outcome.restored = census;
  outcome.restored.bytes = file_bytes(db_path);
  outcome.kept = replacing ? kept : std::string();
  return std::nullopt;
}

}  // namespace cohort::storage
