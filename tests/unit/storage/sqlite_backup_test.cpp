// sqlite_backup_test.cpp — src/storage/sqlite_backup.hpp on real SQLite files: the copy holds
// what was committed when it was taken and nothing in flight, without waiting for the writer;
// it is one self-contained file; restore honours the data directory's lock, verifies IN, and
// keeps the store it replaces whole.
#include "storage/sqlite_backup.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <stdexcept>

#include "storage/data_dir_lock.hpp"
#include "storage/sqlite_storage.hpp"
#include "writer_gate.hpp"

namespace cohort::storage {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using Result = std::optional<std::string>;
constexpr auto kDeadline = 20s;

Json make_op(std::uint64_t v) { return JsonObject{{"name", "set"}, {"args", json::array{v}}}; }
Json make_patch(std::uint64_t v) { return json::array{JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", v}}}; }

class SqliteBackupTest : public ::testing::Test {
 protected:
  SqliteBackupTest() {
    std::string pattern = (fs::temp_directory_path() / "cohort-backup-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
  }
  ~SqliteBackupTest() override { fs::remove_all(root_); }

  std::string path(const std::string& name) const { return root_ + "/" + name; }

  static std::unique_ptr<SqliteStorage> open(const std::string& dir) {
    std::string error;
    auto storage = SqliteStorage::open(dir, error);
    if (!storage) throw std::runtime_error(error);
    return storage;
  }
  // Appends versions [from, to] of key and waits until each is committed.
  static void append_range(Storage& storage, const std::string& key, std::uint64_t from, std::uint64_t to) {
    std::vector<std::future<Result>> done;
    for (std::uint64_t v = from; v <= to; ++v) {
      auto promise = std::make_shared<std::promise<Result>>();
      done.push_back(promise->get_future());
      storage.append(key, v, make_op(v), make_patch(v), [promise](Result r) { promise->set_value(std::move(r)); });
    }
    for (auto& f : done) {
      if (f.wait_for(kDeadline) != std::future_status::ready) throw std::runtime_error("append not done");
      if (auto r = f.get()) throw std::runtime_error(*r);
    }
  }
  static std::uint64_t last_version(const std::string& dir, const std::string& key) {
    auto storage = open(dir);
    LoadedKey loaded;
    if (auto error = storage->load(key, loaded)) throw std::runtime_error(*error);
    return loaded.ops.empty() ? loaded.snapshot_version : loaded.ops.back().version;
  }

  std::string root_;
};

TEST_F(SqliteBackupTest, CopiesWhatIsCommittedWithoutWaitingForATransactionInFlight) {
  const std::string dir = path("live"), out = path("store.backup");
  auto storage = open(dir);
  append_range(*storage, "k", 1, 5);
  WriterGate gate;
  storage->add_commit_hook(gate.hook("held"));
  std::promise<Result> held_done;
  storage->append("held", 1, make_op(1), make_patch(1), [&](Result r) { held_done.set_value(std::move(r)); });
  gate.wait_entered();  // the writer is inside BEGIN IMMEDIATE ... with "held" v1 written, not committed

  StoreCensus copied;
  const Result error = backup_store(dir, out, {}, copied);  // must not wait for that transaction
  gate.release();
  ASSERT_FALSE(error) << *error;
  ASSERT_EQ(held_done.get_future().wait_for(kDeadline), std::future_status::ready);
  storage.reset();
  EXPECT_EQ(copied.keys, 1u);
  EXPECT_EQ(copied.ops, 5u);
  EXPECT_EQ(copied.bytes, fs::file_size(out));

  RestoreOutcome outcome;
  ASSERT_FALSE(restore_store(path("restored"), out, false, outcome));
  EXPECT_EQ(last_version(path("restored"), "k"), 5u);
  EXPECT_EQ(last_version(path("restored"), "held"), 0u) << "an op in flight at the snapshot is not in the copy";
  EXPECT_EQ(last_version(dir, "held"), 1u) << "and the node committed it";
}

TEST_F(SqliteBackupTest, TheCopyIsOneFileInRollbackJournalMode) {
  const std::string dir = path("live"), out = path("store.backup");
  auto storage = open(dir);
  append_range(*storage, "k", 1, 3);
  StoreCensus copied;
  ASSERT_FALSE(backup_store(dir, out, {}, copied));
  std::ifstream in(out, std::ios::binary);
  char header[20] = {};
  in.read(header, sizeof header);
  EXPECT_EQ(std::string(header, 16), std::string("SQLite format 3\0", 16));
  EXPECT_EQ(header[18], 1) << "write version: 2 would mean WAL";
  EXPECT_EQ(header[19], 1) << "read version: 2 would mean WAL";
  EXPECT_FALSE(fs::exists(out + "-wal"));
  EXPECT_FALSE(fs::exists(out + "-journal"));
}

TEST_F(SqliteBackupTest, RestoreIsRefusedWhileTheDataDirectoryIsLocked) {
  const std::string dir = path("live"), out = path("store.backup");
  open(dir);
  StoreCensus copied;
  ASSERT_FALSE(backup_store(dir, out, {}, copied));
  std::string lock_error;
  auto lock = DataDirLock::acquire(dir, lock_error);
  ASSERT_TRUE(lock) << lock_error;
  RestoreOutcome outcome;
  const Result refused = restore_store(dir, out, true, outcome);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("cannot restore: data directory " + dir + " is in use"), std::string::npos) << *refused;
  EXPECT_FALSE(fs::exists(dir + "/cohort.db.before-restore"));
  lock.reset();
  EXPECT_FALSE(restore_store(dir, out, true, outcome));
}

TEST_F(SqliteBackupTest, RestoreKeepsTheReplacedStoreWholeAndRefusesToReplaceItTwice) {
  const std::string dir = path("live"), out = path("store.backup");
  {
    auto storage = open(dir);
    append_range(*storage, "k", 1, 3);
    StoreCensus copied;
    ASSERT_FALSE(backup_store(dir, out, {}, copied));
    append_range(*storage, "k", 4, 6);
  }
  RestoreOutcome outcome;
  Result refused = restore_store(dir, out, false, outcome);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find(dir + "/cohort.db exists: pass --force"), std::string::npos) << *refused;

  ASSERT_FALSE(restore_store(dir, out, true, outcome));
  EXPECT_EQ(outcome.kept, dir + "/cohort.db.before-restore");
  EXPECT_EQ(outcome.restored.ops, 3u);
  EXPECT_EQ(last_version(dir, "k"), 3u);
  refused = restore_store(dir, out, true, outcome);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find(dir + "/cohort.db.before-restore exists"), std::string::npos) << *refused;

  fs::create_directories(path("kept"));
  fs::rename(dir + "/cohort.db.before-restore", path("kept") + "/cohort.db");
  EXPECT_EQ(last_version(path("kept"), "k"), 6u) << "the replaced store holds every committed op";
}

TEST_F(SqliteBackupTest, RestoreRefusesAForeignOrNewerFile) {
  const std::string foreign = path("foreign.db");
  std::ofstream(foreign) << std::string(8192, 'x');
  RestoreOutcome outcome;
  Result refused = restore_store(path("target"), foreign, false, outcome);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->rfind(foreign + ": ", 0), 0u) << *refused;

  const std::string dir = path("live"), out = path("store.backup");
  open(dir);
  StoreCensus copied;
  ASSERT_FALSE(backup_store(dir, out, {}, copied));
  {
    std::fstream f(out, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);  // PRAGMA user_version, big-endian
    const char newer[4] = {0, 0, 0, SqliteStorage::kSchemaVersion + 1};
    f.write(newer, 4);
  }
  refused = restore_store(path("target"), out, false, outcome);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("was written by a newer Cohort"), std::string::npos) << *refused;
  EXPECT_FALSE(fs::exists(path("target") + "/cohort.db"));
}

}  // namespace
}  // namespace cohort::storage
