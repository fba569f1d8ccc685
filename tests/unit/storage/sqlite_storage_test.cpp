// sqlite_storage_test.cpp — src/storage/sqlite_storage.hpp on a real SQLite file: durability
// across reopen, version continuity, compaction, group commit, commit hooks, open failures.
#include "storage/sqlite_storage.hpp"
#include "writer_gate.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace cohort::storage {
namespace {

using namespace std::chrono_literals;
using Result = std::optional<std::string>;
constexpr auto kDeadline = 20s;

// Collects `done` results (from the writer thread) and waits for them with a deadline.
class DoneLog {
 public:
  Storage::Done callback() {
    return [this](Result error) {
      std::lock_guard lock(mutex_);
      results_.push_back(std::move(error));
      cv_.notify_all();
    };
  }
  // Waits for n results in total; throws if they do not arrive before the deadline.
  std::vector<Result> wait(std::size_t n) {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kDeadline, [&] { return results_.size() >= n; }))
      throw std::runtime_error("only " + std::to_string(results_.size()) + " of " + std::to_string(n) + " done callbacks");
    return results_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Result> results_;
};

Json make_op(std::uint64_t version) {
  return JsonObject{{"name", "set"}, {"args", json::array{"field", version, "ünïcode \"q\""}}, {"actor", "u1"}};
}
Json make_patch(std::uint64_t version) {
  return json::array{JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", version}}};
}

// Rows of a one-value query, run on a separate connection to the same file.
std::int64_t count_rows(const std::string& db_path, const std::string& sql) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Connection db(raw);
  sqlite3_stmt* stmt_raw = nullptr;
  if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt_raw, nullptr) != SQLITE_OK)
    throw std::runtime_error(sqlite3_errmsg(raw));
  Statement stmt(stmt_raw);
  if (sqlite3_step(stmt_raw) != SQLITE_ROW) throw std::runtime_error(sqlite3_errmsg(raw));
  return sqlite3_column_int64(stmt_raw, 0);
}

class SqliteStorageTest : public ::testing::Test {
 protected:
  SqliteStorageTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cohort-storage-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    reopen();
  }
  ~SqliteStorageTest() override {
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }
  void reopen() {
    storage_.reset();
    std::string error;
    storage_ = SqliteStorage::open(dir_, error);
    if (!storage_) throw std::runtime_error(error);
  }
  std::string db_path() const { return dir_ + "/cohort.db"; }
  // Appends versions [from, to] of key and waits for every result.
  std::vector<Result> append_range(const std::string& key, std::uint64_t from, std::uint64_t to) {
    DoneLog log;
    for (std::uint64_t v = from; v <= to; ++v) storage_->append(key, v, make_op(v), make_patch(v), log.callback());
    return log.wait(to - from + 1);
  }
  Result append_one(const std::string& key, std::uint64_t version, Json op) {
    DoneLog log;
    storage_->append(key, version, std::move(op), make_patch(version), log.callback());
    return log.wait(1).at(0);
  }
  LoadedKey load(const std::string& key) {
    LoadedKey loaded;
    if (auto error = storage_->load(key, loaded)) throw std::runtime_error(*error);
    return loaded;
  }
  void expect_ops(const LoadedKey& loaded, std::uint64_t from, std::uint64_t to) {
    ASSERT_EQ(loaded.ops.size(), to - from + 1);
    for (std::uint64_t v = from; v <= to; ++v) {
      const StoredOp& op = loaded.ops[v - from];
      EXPECT_EQ(op.version, v);
      EXPECT_EQ(op.op, make_op(v));
      EXPECT_EQ(op.patch, make_patch(v));
    }
  }

  std::string dir_;
  std::unique_ptr<SqliteStorage> storage_;
};

TEST_F(SqliteStorageTest, AppendsCommitAndSurviveReopen) {
  DoneLog log;
  for (std::uint64_t v = 1; v <= 40; ++v)
    for (const char* key : {"doc:a", "doc:b", "doc:c"}) storage_->append(key, v, make_op(v), make_patch(v), log.callback());
  for (const Result& result : log.wait(120)) EXPECT_EQ(result, std::nullopt);

  reopen();
  for (const char* key : {"doc:a", "doc:b", "doc:c"}) {
    LoadedKey loaded = load(key);
    EXPECT_EQ(loaded.snapshot_version, 0u);
    EXPECT_TRUE(loaded.snapshot.is_null());
    expect_ops(loaded, 1, 40);
  }
}

TEST_F(SqliteStorageTest, UnknownKeyLoadsEmpty) {
  LoadedKey loaded = load("nobody");
  EXPECT_EQ(loaded.snapshot_version, 0u);
  EXPECT_TRUE(loaded.snapshot.is_null());
  EXPECT_TRUE(loaded.ops.empty());
}

TEST_F(SqliteStorageTest, DestructorFlushesQueuedAppends) {
  DoneLog log;
  for (std::uint64_t v = 1; v <= 100; ++v) storage_->append("k", v, make_op(v), make_patch(v), log.callback());
  reopen();  // destroys the storage without an explicit flush
  for (const Result& result : log.wait(100)) EXPECT_EQ(result, std::nullopt);
  expect_ops(load("k"), 1, 100);
}

TEST_F(SqliteStorageTest, GapAndDuplicateAreRejectedAndStoreNothing) {
  ASSERT_EQ(append_one("k", 2, make_op(99)), "version gap for key 'k': expected 1, got 2");
  ASSERT_EQ(append_one("k", 1, make_op(1)), std::nullopt);
  Result duplicate = append_one("k", 1, make_op(99));
  ASSERT_TRUE(duplicate);
  EXPECT_EQ(*duplicate, "duplicate version 1 for key 'k': last stored version is 1");
  Result gap = append_one("k", 3, make_op(99));
  ASSERT_TRUE(gap);
  EXPECT_EQ(*gap, "version gap for key 'k': expected 2, got 3");
  ASSERT_EQ(append_one("k", 2, make_op(2)), std::nullopt);

  reopen();  // the continuity check now starts from the file, not the writer's cache
  EXPECT_TRUE(append_one("k", 2, make_op(99)).has_value());
  EXPECT_TRUE(append_one("k", 4, make_op(99)).has_value());
  expect_ops(load("k"), 1, 2);
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM ops"), 2);
}

TEST_F(SqliteStorageTest, SnapshotCompactsEarlierOps) {
  for (const Result& result : append_range("k", 1, 10)) ASSERT_EQ(result, std::nullopt);
  const Json state = JsonObject{{"n", 6}, {"title", "six"}};
  storage_->snapshot("k", 6, state);
  for (const Result& result : append_range("k", 11, 12)) ASSERT_EQ(result, std::nullopt);

  LoadedKey loaded = load("k");
  EXPECT_EQ(loaded.snapshot_version, 6u);
  EXPECT_EQ(loaded.snapshot, state);
  expect_ops(loaded, 7, 12);
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM ops WHERE key = 'k' AND version <= 6"), 0);
}

TEST_F(SqliteStorageTest, SnapshotOfWholeLogKeepsContinuityAfterReopen) {
  for (const Result& result : append_range("k", 1, 5)) ASSERT_EQ(result, std::nullopt);
  storage_->snapshot("k", 5, JsonObject{{"n", 5}});
  storage_->flush();
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM ops"), 0);

  reopen();  // the log is empty: the next version must come from the snapshot
  EXPECT_TRUE(append_one("k", 1, make_op(1)).has_value());
  EXPECT_EQ(append_one("k", 6, make_op(6)), std::nullopt);
  LoadedKey loaded = load("k");
  EXPECT_EQ(loaded.snapshot_version, 5u);
  expect_ops(loaded, 6, 6);
}

TEST_F(SqliteStorageTest, SnapshotAheadOfLogOrBehindSnapshotIsRefused) {
  for (const Result& result : append_range("k", 1, 4)) ASSERT_EQ(result, std::nullopt);
  storage_->snapshot("k", 3, JsonObject{{"n", 3}});
  storage_->snapshot("k", 9, JsonObject{{"n", 9}});  // op 9 was never acknowledged
  storage_->snapshot("k", 2, JsonObject{{"n", 2}});  // would resurrect nothing: ops 1..3 are gone
  storage_->flush();

  LoadedKey loaded = load("k");
  EXPECT_EQ(loaded.snapshot_version, 3u);
  EXPECT_EQ(loaded.snapshot, Json(JsonObject{{"n", 3}}));
  expect_ops(loaded, 4, 4);
}

// 1000 appends from 4 threads, queued while the writer is held inside one transaction, must
// go into ceil(1000 / kMaxBatchItems) transactions after it, not one each.
TEST_F(SqliteStorageTest, GroupCommitBatchesConcurrentAppends) {
  WriterGate gate;
  storage_->add_commit_hook(gate.hook("gate"));
  const std::uint64_t before = storage_->transactions_committed();
  DoneLog log;
  storage_->append("gate", 1, make_op(1), make_patch(1), log.callback());
  gate.wait_entered();

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::uint64_t v = 1; v <= 250; ++v)
        storage_->append("t" + std::to_string(t), v, make_op(v), make_patch(v), log.callback());
    });
  for (std::thread& thread : threads) thread.join();
  gate.release();

  for (const Result& result : log.wait(1001)) EXPECT_EQ(result, std::nullopt);
  const std::uint64_t transactions = storage_->transactions_committed() - before;
  const std::uint64_t batches = (1000 + SqliteStorage::kMaxBatchItems - 1) / SqliteStorage::kMaxBatchItems;
  EXPECT_LT(transactions, 1000u);
  EXPECT_EQ(transactions, 1 + batches);
  for (int t = 0; t < 4; ++t) expect_ops(load("t" + std::to_string(t)), 1, 250);
}

TEST_F(SqliteStorageTest, CommitHookWritesInTheSameTransaction) {
  storage_->add_commit_hook([](sqlite3* db, const CommitRecord& record) {
    const std::string sql = "CREATE TABLE IF NOT EXISTS audit(key TEXT, version INTEGER, name TEXT);"
                            "INSERT INTO audit VALUES('" + record.key + "', " + std::to_string(record.version) +
                            ", '" + std::string(record.op.at("name").as_string()) + "')";
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
  });
  for (const Result& result : append_range("k", 1, 20)) ASSERT_EQ(result, std::nullopt);
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM audit WHERE key = 'k' AND name = 'set'"), 20);
  EXPECT_EQ(count_rows(db_path(), "SELECT SUM(version) FROM audit"), 20 * 21 / 2);
}

// Ops 1..5 of k sit in one batch (queued behind the gate); the hook throws at version 3, so
// the audit rows of 1 and 2 and every op row of the batch are rolled back.
TEST_F(SqliteStorageTest, ThrowingHookFailsTheWholeBatch) {
  WriterGate gate;
  storage_->add_commit_hook(gate.hook("gate"));
  storage_->add_commit_hook([](sqlite3* db, const CommitRecord& record) {
    const std::string sql = "CREATE TABLE IF NOT EXISTS audit(key TEXT, version INTEGER);"
                            "INSERT INTO audit VALUES('" + record.key + "', " + std::to_string(record.version) + ")";
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db));
    if (record.key == "k" && record.version == 3) throw std::runtime_error("audit refused");
  });
  DoneLog gate_log;
  storage_->append("gate", 1, make_op(1), make_patch(1), gate_log.callback());
  gate.wait_entered();
  DoneLog log;
  for (std::uint64_t v = 1; v <= 5; ++v) storage_->append("k", v, make_op(v), make_patch(v), log.callback());
  gate.release();

  EXPECT_EQ(gate_log.wait(1).at(0), std::nullopt);
  for (const Result& result : log.wait(5))
    EXPECT_EQ(result, "storage: " + db_path() + ": key 'k': commit hook failed: audit refused");
  EXPECT_TRUE(load("k").ops.empty());
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM audit"), 1);  // the gate's row only
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM ops WHERE key = 'k'"), 0);
  // Nothing of the failed batch advanced the key: version 1 is still the next one.
  EXPECT_EQ(append_one("k", 1, make_op(1)), std::nullopt);
}

TEST_F(SqliteStorageTest, AProbeCommitsAWriteOfItsOwnAndFailsWithTheBatchItIsIn) {
  DoneLog log;
  storage_->probe(log.callback());
  EXPECT_EQ(log.wait(1).at(0), std::nullopt);
  EXPECT_EQ(count_rows(db_path(), "SELECT COUNT(*) FROM readiness_probe"), 1);
  std::vector<std::string> keys;
  ASSERT_EQ(storage_->keys(keys), std::nullopt);
  EXPECT_TRUE(keys.empty()) << "the probe's row is no key";

  // A batch that cannot commit fails the probe queued in it, with the storage's reason.
  WriterGate gate;
  storage_->add_commit_hook(gate.hook("gate"));
  storage_->add_commit_hook([](sqlite3*, const CommitRecord& record) {
    if (record.key == "bad") throw std::runtime_error("disk said no");
  });
  DoneLog gate_log;
  storage_->append("gate", 1, make_op(1), make_patch(1), gate_log.callback());
  gate.wait_entered();
  DoneLog batch;
  storage_->append("bad", 1, make_op(1), make_patch(1), batch.callback());
  storage_->probe(batch.callback());
  gate.release();
  EXPECT_EQ(gate_log.wait(1).at(0), std::nullopt);
  const auto results = batch.wait(2);
  EXPECT_EQ(results.at(1), "storage: " + db_path() + ": commit hook failed: disk said no");
}

TEST_F(SqliteStorageTest, LoadReportsCorruptRows) {
  ASSERT_EQ(append_one("k", 1, make_op(1)), std::nullopt);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &raw), SQLITE_OK);
  Connection db(raw);
  ASSERT_EQ(sqlite3_exec(raw, "INSERT INTO ops VALUES('k', 2, '{not json', '[]');"
                              "INSERT INTO ops VALUES('j', 2, '{}', '[]')", nullptr, nullptr, nullptr), SQLITE_OK);
  LoadedKey loaded;
  EXPECT_EQ(storage_->load("k", loaded), "storage: " + db_path() +
                                             ": key 'k': the op at version 2 does not load: it is not valid JSON (syntax error)");
  EXPECT_TRUE(loaded.ops.empty());
  EXPECT_EQ(storage_->load("j", loaded), "storage: " + db_path() + ": key 'j': corrupt log: expected version 1, found 2");
}

// Rows are read with the store's depth limit (32 by default) plus, for op-log rows, the row's own
// envelope: a snapshot and a patch row holding a value that reached the limit load; a snapshot
// one deeper names the setting that would load it, and loads once it is raised.
TEST_F(SqliteStorageTest, RowsAreParsedWithTheStoreDepthLimit) {
  auto nested = [](int depth) {
    std::string s(static_cast<std::size_t>(depth), '[');
    return s + std::string(static_cast<std::size_t>(depth), ']');
  };
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &raw), SQLITE_OK);
  Connection db(raw);
  const std::string rows = "INSERT INTO snapshots VALUES('fits', 1, '" + nested(32) + "');" +
                           "INSERT INTO ops VALUES('fits', 2, '{}', '[{\"op\":\"add\",\"path\":\"\",\"value\":" + nested(32) + "}]');" +
                           "INSERT INTO snapshots VALUES('deep', 1, '" + nested(33) + "');";
  ASSERT_EQ(sqlite3_exec(raw, rows.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(load("fits").ops.size(), 1u);
  LoadedKey loaded;
  auto error = storage_->load("deep", loaded);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("key 'deep': the snapshot at version 1 does not load"), std::string::npos) << *error;
  EXPECT_NE(error->find("--store-max-depth"), std::string::npos) << *error;
  std::string open_error;
  auto roomier = SqliteStorage::open(dir_, open_error, StoreLimits{.max_depth = 33});
  ASSERT_TRUE(roomier) << open_error;
  EXPECT_EQ(roomier->load("deep", loaded), std::nullopt);
}

TEST(SqliteStorageOpen, FailsWithAMessageNamingThePath) {
  std::string pattern = (std::filesystem::temp_directory_path() / "cohort-storage-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const std::string file = pattern + "/plain-file";
  std::ofstream(file) << "not a directory";
  std::string error;
  // A regular file where a directory is needed fails even for root (no permission bits help).
  EXPECT_EQ(open_sqlite_storage(file + "/data", error), nullptr);
  EXPECT_NE(error.find(file + "/data"), std::string::npos) << error;
  error.clear();
  std::filesystem::create_directory(pattern + "/data");
  std::filesystem::create_directory(pattern + "/data/cohort.db");  // the database path is a directory
  EXPECT_EQ(open_sqlite_storage(pattern + "/data", error), nullptr);
  EXPECT_NE(error.find(pattern + "/data/cohort.db"), std::string::npos) << error;
  std::filesystem::remove_all(pattern);
}

}  // namespace
}  // namespace cohort::storage
