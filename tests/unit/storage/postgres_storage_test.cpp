// postgres_storage_test.cpp — the PostgreSQL Storage (src/storage/postgres_storage.cpp) against a
// real PostgreSQL 15 started by tests/support/pg_fixture.sh for this test binary.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>
#include <vector>
#include <string>
#include <unistd.h>

#include "cohort/storage.hpp"

using cohort::Json;
using cohort::JsonObject;
using cohort::LoadedKey;
using cohort::Storage;

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) return {};
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// One throwaway cluster for the whole binary.
class Postgres : public ::testing::Environment {
 public:
  void SetUp() override {
    dir_ = "/tmp/cohort-pg-" + std::to_string(getpid());
    url = run(std::string(COHORT_SOURCE_DIR) + "/tests/support/pg_fixture.sh start " + dir_);
    ASSERT_FALSE(url.empty()) << "pg_fixture.sh could not start PostgreSQL (see " << dir_ << "/server.log)";
  }
  void TearDown() override { fixture("stop"); }
  static bool fixture(const char* what) {
    return system((std::string(COHORT_SOURCE_DIR) + "/tests/support/pg_fixture.sh " + what + " " + dir_ +
                   " >/dev/null").c_str()) == 0;
  }
  static inline std::string url;
  static inline std::string dir_;
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new Postgres);

std::unique_ptr<Storage> open() {
  std::string error;
  auto s = cohort::open_postgres_storage(Postgres::url, error);
  EXPECT_TRUE(s) << error;
  return s;
}

// Appends and waits for `done`: nullopt on success, else the error.
std::optional<std::string> append(Storage& s, const std::string& key, std::uint64_t v, Json patch = Json(nullptr)) {
  std::promise<std::optional<std::string>> p;
  auto f = p.get_future();
  s.append(key, v, JsonObject{{"name", "set"}}, patch, [&](std::optional<std::string> e) { p.set_value(e); });
  return f.get();
}

// An error that says `what`.
void expect_refused(const std::optional<std::string>& error, const char* what) {
  ASSERT_TRUE(error) << "expected an error saying " << what;
  EXPECT_NE(error->find(what), std::string::npos) << *error;
}

// The ops of key stored after its snapshot, as a new reader sees them.
std::vector<cohort::StoredOp> stored_ops(Storage& s, const std::string& k) {
  LoadedKey loaded;
  EXPECT_FALSE(s.load(k, loaded));
  return loaded.ops;
}

std::string key(const char* name) { return std::string(name) + "-" + std::to_string(getpid()); }

}  // namespace

TEST(PostgresStorage, AppendLoadRoundTripAndReopen) {
  auto k = key("round");
  {
    auto s = open();
    for (std::uint64_t v = 1; v <= 3; ++v) ASSERT_FALSE(append(*s, k, v, Json(v)));
  }
  auto s = open();  // a fresh Storage (as after a restart) reads what was committed
  LoadedKey loaded;
  ASSERT_FALSE(s->load(k, loaded));
  ASSERT_EQ(loaded.ops.size(), 3u);
  EXPECT_EQ(loaded.ops[2].version, 3u);
  EXPECT_EQ(loaded.ops[2].patch, Json(3));
}

TEST(PostgresStorage, GapsAndDuplicatesAreRefusedAndStoreNothing) {
  auto s = open();
  auto k = key("gap");
  ASSERT_FALSE(append(*s, k, 1));
  expect_refused(append(*s, k, 3), "does not follow 1");
  EXPECT_TRUE(append(*s, k, 1));
  EXPECT_EQ(stored_ops(*s, k).size(), 1u);
}

TEST(PostgresStorage, ManyQueuedAppendsAllCommitInOrder) {
  auto s = open();
  auto k = key("many");
  std::vector<std::promise<std::optional<std::string>>> promises(2000);
  for (std::uint64_t v = 1; v <= promises.size(); ++v)
    s->append(k, v, JsonObject{}, Json(v), [&, v](std::optional<std::string> e) { promises[v - 1].set_value(e); });
  for (auto& p : promises) ASSERT_FALSE(p.get_future().get());
  LoadedKey loaded;
  ASSERT_FALSE(s->load(k, loaded));
  ASSERT_EQ(loaded.ops.size(), 2000u);
  for (std::size_t i = 0; i < loaded.ops.size(); ++i) ASSERT_EQ(loaded.ops[i].version, i + 1);
}

TEST(PostgresStorage, SnapshotCompactsTheLog) {
  auto s = open();
  auto k = key("snap");
  for (std::uint64_t v = 1; v <= 5; ++v) ASSERT_FALSE(append(*s, k, v));
  s->snapshot(k, 4, JsonObject{{"n", 4}});
  ASSERT_FALSE(append(*s, k, 6));
  s->flush();
  LoadedKey loaded;
  ASSERT_FALSE(s->load(k, loaded));
  EXPECT_EQ(loaded.snapshot_version, 4u);
  EXPECT_EQ(loaded.snapshot, (Json(JsonObject{{"n", 4}})));
  ASSERT_EQ(loaded.ops.size(), 2u);
  EXPECT_EQ(loaded.ops[0].version, 5u);
}

// Takes key's fence for s; the outcome, waited for.
std::optional<std::string> take(Storage& s, const std::string& k) {
  std::promise<std::optional<std::string>> p;
  s.take_fence(k, [&](std::optional<std::string> e) { p.set_value(e); });
  return p.get_future().get();
}

TEST(PostgresStorage, AStaleOwnerCanNeverWriteAfterANewOneTookTheFence) {
  auto k = key("fence");
  auto old_owner = open();
  auto new_owner = open();
  ASSERT_FALSE(take(*old_owner, k));
  ASSERT_FALSE(append(*old_owner, k, 1));
  ASSERT_FALSE(take(*new_owner, k));  // the lease moved; the new owner has loaded, written nothing
  // The old owner wakes up and writes: refused.
  expect_refused(append(*old_owner, k, 2, Json("stale")), "fenced");
  ASSERT_FALSE(append(*new_owner, k, 2, Json("fresh")));
  auto ops = stored_ops(*new_owner, k);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[1].patch, Json("fresh"));  // nothing of the stale write
}

TEST(PostgresStorage, AKeyThatComesBackAfterAnotherOwnerWroteContinuesFromTheirVersion) {
  auto k = key("back");
  auto a = open();
  auto b = open();
  ASSERT_FALSE(take(*a, k));
  ASSERT_FALSE(append(*a, k, 1));  // a caches "last version 1"
  ASSERT_FALSE(take(*b, k));
  ASSERT_FALSE(append(*b, k, 2));
  ASSERT_FALSE(append(*b, k, 3));
  ASSERT_FALSE(take(*a, k));  // the key comes back to a
  ASSERT_FALSE(append(*a, k, 4)) << "a must not trust the version it cached before b wrote";
  expect_refused(append(*b, k, 5), "fenced");
  EXPECT_EQ(stored_ops(*a, k).size(), 4u);
}

TEST(PostgresStorage, AnOutageGivesErrorsInDoneThenTheStorageReconnects) {
  auto s = open();
  auto k = key("outage");
  ASSERT_FALSE(append(*s, k, 1));
  ASSERT_TRUE(Postgres::fixture("down"));
  auto during = append(*s, k, 2);
  ASSERT_TRUE(during) << "an append while PostgreSQL is down must fail, not hang or succeed";
  LoadedKey loaded;
  EXPECT_TRUE(s->load(k, loaded));  // a read fails too, with a reason
  ASSERT_TRUE(Postgres::fixture("up"));
  ASSERT_FALSE(append(*s, k, 2)) << "the same version again, once PostgreSQL is back";
  ASSERT_FALSE(s->load(k, loaded));
  EXPECT_EQ(loaded.ops.size(), 2u);
}

// The probe /readyz uses: a transaction id, which only a server that can write gives.
std::optional<std::string> probe(Storage& s) {
  std::promise<std::optional<std::string>> p;
  auto f = p.get_future();
  s.probe([&](std::optional<std::string> e) { p.set_value(e); });
  return f.get();
}

TEST(PostgresStorage, AProbeSucceedsWhileTheServerWritesAndFailsWhileItIsDown) {
  auto s = open();
  EXPECT_EQ(probe(*s), std::nullopt);
  ASSERT_TRUE(Postgres::fixture("down"));
  auto during = probe(*s);
  ASSERT_TRUE(during) << "a probe while PostgreSQL is down must fail, not hang or succeed";
  EXPECT_EQ(during->rfind("storage: PostgreSQL: ", 0), 0u) << *during;
  EXPECT_EQ(during->find("key '"), std::string::npos) << "a probe names no key: " << *during;
  ASSERT_TRUE(Postgres::fixture("up"));
  EXPECT_EQ(probe(*s), std::nullopt) << "the storage reconnects for the next probe";
}

TEST(PostgresStorage, NodesStartingTogetherOnANewDatabaseAllCreateTheirTablesFine) {
  // A cluster's nodes start at once against an empty database: their CREATE TABLE IF NOT
  // EXISTS must not race (PostgreSQL fails all but one on its catalog otherwise).
  for (int round = 0; round < 3; ++round) {
    std::string db = "fresh_" + std::to_string(getpid()) + "_" + std::to_string(round);
    std::string psql = "psql -q -d '" + Postgres::url + "' -c 'CREATE DATABASE " + db + "' >/dev/null 2>&1";
    ASSERT_EQ(system(psql.c_str()), 0) << psql;
    std::string url = Postgres::url.substr(0, Postgres::url.rfind('/') + 1) + db;
    std::vector<std::string> errors(6);
    std::vector<std::thread> nodes;
    for (auto& e : errors)
      nodes.emplace_back([&url, &e] {
        std::string error;
        if (!cohort::open_postgres_storage(url, error)) e = error.empty() ? "failed" : error;
      });
    for (auto& t : nodes) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "") << "round " << round;
  }
}

TEST(PostgresStorage, ABadUrlIsAClearError) {
  std::string error;
  auto s = cohort::open_postgres_storage("postgresql://nobody@127.0.0.1:1/none", error);
  EXPECT_FALSE(s);
  EXPECT_NE(error.find("cannot connect to PostgreSQL"), std::string::npos) << error;
}
