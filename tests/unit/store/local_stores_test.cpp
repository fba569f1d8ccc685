// local_stores_test.cpp — src/store/local_stores.hpp on real reactors and a real SQLite file:
// which keys stay in memory and which leave (idle, least recently used, not existing), that a
// key that left comes back at the same version and state, that a busy node refuses a new key
// with "too_many_keys", and that a cold key is read once, off the reactor, however many calls
// wait for it.
#include "store/local_stores.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"

namespace cohort::store {
namespace {

using namespace std::chrono_literals;
using test_support::run_on;
using test_support::WaitQueue;

StoreKind test_kind() {
  StoreKind k;
  k.name = "t";
  k.initial = JsonObject{{"n", 0}, {"items", json::array{}}};
  k.ops["set"] = OpSpec{{}, [](const OpRequest& r) {
    return OpResult::change({JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", r.args.at("n")}}});
  }};
  k.ops["add"] = OpSpec{{}, [](const OpRequest& r) {
    return OpResult::change({JsonObject{{"op", "add"}, {"path", "/items/-"}, {"value", r.args.at("item")}}});
  }};
  return k;
}

// A Storage whose load() waits while its gate is closed, counting the reads of each key.
class GatedStorage final : public Storage {
 public:
  explicit GatedStorage(Storage& inner) : inner_(inner) {}
  void append(std::string key, std::uint64_t version, Json op, Json patch, Done done) override {
    inner_.append(std::move(key), version, std::move(op), std::move(patch), std::move(done));
  }
  std::optional<std::string> load(std::string_view key, LoadedKey& out) override {
    std::unique_lock lock(mutex_);
    ++reads_[std::string(key)];
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    lock.unlock();
    return inner_.load(key, out);
  }
  void snapshot(std::string key, std::uint64_t version, Json state) override {
    inner_.snapshot(std::move(key), version, std::move(state));
  }
  std::optional<std::string> keys(std::vector<std::string>& out) override { return inner_.keys(out); }
  void add_commit_hook(CommitHook hook) override { inner_.add_commit_hook(std::move(hook)); }
  void flush() override { inner_.flush(); }

  void set_open(bool open) {
    std::lock_guard lock(mutex_);
    open_ = open;
    cv_.notify_all();
  }
  // Waits until key has been read n times (the reader is then inside load()).
  bool wait_reads(const std::string& key, int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, test_support::kReactorDeadline, [&] { return reads_[key] >= n; });
  }
  int reads(const std::string& key) {
    std::lock_guard lock(mutex_);
    return reads_[key];
  }

 private:
  Storage& inner_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = true;
  std::map<std::string, int> reads_;
};

struct Fixture {
  explicit Fixture(Residency residency, unsigned reactor_count = 1) : reactors(reactor_count) {
    dir = std::filesystem::temp_directory_path() / ("cohort-local-stores-" + std::to_string(std::random_device{}()));
    std::string error;
    sqlite = open_sqlite_storage(dir.string(), error);
    if (!sqlite) throw std::runtime_error(error);
    gated = std::make_unique<GatedStorage>(*sqlite);
    stores.define(test_kind());
    stores.set_residency(residency);
    stores.set_followed([this](const std::string& key) {
      std::lock_guard lock(followed_mutex);
      return followed.contains(key);
    });
    stores.set_storage(gated.get());
    stores.on_unloaded([this](const std::string& key) { unloaded.push(key); });
    reactors.start();
  }
  ~Fixture() {
    gated->set_open(true);
    reactors.stop();
    reactors.join();
    stores.stop_loading();
    sqlite->flush();
  }

  // The reactor that makes the calls (any; completions come back to it).
  net::Reactor& caller() { return reactors.at(0); }

  OpOutcome op(const std::string& key, const std::string& name, Json args = JsonObject{}, std::uint64_t session = 0,
               std::string op_id = "") {
    auto outcomes = std::make_shared<WaitQueue<OpOutcome>>();
    run_on(caller(), [&] {
      OpCall c{key, name, std::move(args), Actor{}, session, std::nullopt, std::move(op_id)};
      c.actor.id = "tester";
      stores.apply(std::move(c), [outcomes](OpOutcome o) { outcomes->push(std::move(o)); });
      return 0;
    });
    return outcomes->next("the outcome of " + name + " on " + key);
  }
  StoreView view(const std::string& key, bool existing = false) {
    auto views = std::make_shared<WaitQueue<StoreView>>();
    run_on(caller(), [&] {
      auto done = [views](StoreView v) { views->push(std::move(v)); };
      if (existing) stores.view_existing(key, std::nullopt, done);
      else stores.view(key, std::nullopt, done);
      return 0;
    });
    return views->next("the view of " + key);
  }
  void follow(const std::string& key, bool on) {
    std::lock_guard lock(followed_mutex);
    if (on) followed.insert(key);
    else followed.erase(key);
  }
  std::int64_t loaded() const { return stores.counters().keys_loaded.load(); }
  std::uint64_t loads() const { return stores.counters().key_loads.load(); }
  std::uint64_t unloads() const { return stores.counters().key_unloads.load(); }
  // The keys the stores unloaded, in order (LocalStores::on_unloaded, on their reactors).
  WaitQueue<std::string> unloaded;

  std::filesystem::path dir;
  net::ReactorSet reactors;
  pubsub::LocalPubSub pubsub{reactors};
  std::unique_ptr<Storage> sqlite;
  std::unique_ptr<GatedStorage> gated;
  LocalStores stores{reactors, pubsub, nullptr};
  std::mutex followed_mutex;
  std::set<std::string> followed;
};

TEST(LocalStores, AnIdleKeyLeavesMemoryAndComesBackAtTheSameVersionStateAndOpIds) {
  Fixture f({.max_keys = 100, .idle = 100ms}, 2);
  ASSERT_TRUE(f.op("t:a", "set", JsonObject{{"n", 7}}).ok);
  OpOutcome first = f.op("t:a", "add", JsonObject{{"item", "x"}}, 0, "op-1");
  ASSERT_TRUE(first.ok);
  ASSERT_TRUE(f.op("t:a", "add", JsonObject{{"item", "y"}}).ok);
  EXPECT_EQ(f.loaded(), 1);
  EXPECT_EQ(f.unloaded.next("the idle key unloaded"), "t:a");
  EXPECT_EQ(f.loaded(), 0) << "an idle key leaves memory";
  EXPECT_EQ(f.unloads(), 1u);

  StoreView v = f.view("t:a");
  ASSERT_TRUE(v.ok);
  EXPECT_EQ(v.version, 3u);
  EXPECT_EQ(*v.state, (Json(JsonObject{{"n", 7}, {"items", json::array{"x", "y"}}})));
  EXPECT_EQ(f.loads(), 2u) << "read from storage once at its first use, once after it left";
  OpOutcome again = f.op("t:a", "add", JsonObject{{"item", "x"}}, 0, "op-1");
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.version, first.version) << "the op id stored with the op is remembered after the reload";
  EXPECT_EQ(f.op("t:a", "set", JsonObject{{"n", 8}}).version, 4u) << "versions go on from the stored one";
}

TEST(LocalStores, AFollowedOrLockedKeyStaysWhileIdleAndLeavesOnceFree) {
  Fixture f({.max_keys = 100, .idle = 100ms});
  for (const char* key : {"t:followed", "t:locked", "t:plain"}) ASSERT_TRUE(f.op(key, "set", JsonObject{{"n", 1}}).ok);
  f.follow("t:followed", true);
  ASSERT_TRUE(f.op("t:locked", "lock", JsonObject{{"path", "/n"}}, 7).ok);
  EXPECT_EQ(f.unloaded.next("the plain key unloaded"), "t:plain");
  EXPECT_EQ(f.loaded(), 2);
  // A negative: no unload of the busy keys over four idle periods, waited for on the event itself.
  EXPECT_TRUE(f.unloaded.quiet_for(400ms)) << "a followed key and a locked key stay in memory";
  EXPECT_EQ(f.loaded(), 2);

  run_on(f.caller(), [&] {
    f.stores.end_session("t:locked", 7);
    return 0;
  });
  EXPECT_EQ(f.unloaded.next("the unlocked key unloaded"), "t:locked") << "the key leaves once its lock ended";
  EXPECT_EQ(f.loaded(), 1);
  f.follow("t:followed", false);
  EXPECT_EQ(f.unloaded.next("the unfollowed key unloaded"), "t:followed") << "and the other once nobody follows it";
  EXPECT_EQ(f.loaded(), 0);
  EXPECT_EQ(f.view("t:locked").locks.size(), 0u);
  EXPECT_EQ(f.view("t:followed").version, 1u);
}

TEST(LocalStores, TheLeastRecentlyUsedIdleKeyMakesRoomForANewOne) {
  Fixture f({.max_keys = 3, .idle = 1h});
  for (const char* key : {"t:a", "t:b", "t:c"}) ASSERT_TRUE(f.op(key, "set", JsonObject{{"n", 1}}).ok);
  ASSERT_TRUE(f.op("t:a", "set", JsonObject{{"n", 2}}).ok);  // b is now the least recently used
  ASSERT_TRUE(f.op("t:d", "set", JsonObject{{"n", 1}}).ok);
  EXPECT_EQ(f.loaded(), 3) << "never more than store_max_keys";
  EXPECT_EQ(f.unloads(), 1u);
  const auto loads = f.loads();
  EXPECT_EQ(f.view("t:a").version, 2u);
  EXPECT_EQ(f.view("t:c").version, 1u);
  EXPECT_EQ(f.loads(), loads) << "a and c stayed in memory";
  StoreView b = f.view("t:b");
  EXPECT_EQ(f.loads(), loads + 1) << "b left and is read again";
  EXPECT_EQ(b.version, 1u);
  EXPECT_EQ(b.state->at("n"), 1);
  EXPECT_EQ(f.loaded(), 3);
}

TEST(LocalStores, WhenEveryLoadedKeyIsBusyANewKeyIsRefusedUntilOneIsFree) {
  Fixture f({.max_keys = 2, .idle = 1h});
  ASSERT_TRUE(f.op("t:a", "lock", JsonObject{{"path", "/n"}}, 1).ok);
  ASSERT_TRUE(f.op("t:b", "set", JsonObject{{"n", 1}}).ok);
  f.follow("t:b", true);
  OpOutcome refused = f.op("t:c", "set", JsonObject{{"n", 1}});
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.error.at("reason"), "too_many_keys");
  EXPECT_NE(refused.error.at("detail").as_string().find("store_max_keys is 2"), std::string::npos);
  StoreView v = f.view("t:c");
  EXPECT_EQ(v.error.at("reason"), "too_many_keys") << "a join of a new key too";
  EXPECT_EQ(f.stores.counters().refused_full.load(), 2u);
  EXPECT_TRUE(f.op("t:a", "set", JsonObject{{"n", 5}}, 1).ok) << "the keys in memory go on serving";

  run_on(f.caller(), [&] {
    f.stores.end_session("t:a", 1);
    return 0;
  });
  OpOutcome later = f.op("t:c", "set", JsonObject{{"n", 1}});
  EXPECT_TRUE(later.ok) << "the key whose lock ended made room";
  EXPECT_EQ(f.loaded(), 2);
  EXPECT_EQ(f.view("t:a").version, 1u) << "and comes back when used";
}

TEST(LocalStores, AKeyThatDoesNotExistIsNotFoundForViewExistingAndLeavesNothing) {
  Fixture f({.max_keys = 100, .idle = 1h});
  StoreView missing = f.view("t:nobody", /*existing=*/true);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.error, (JsonObject{{"reason", "not_found"}, {"key", "t:nobody"}}));
  EXPECT_EQ(f.stores.counters().refused_missing.load(), 1u);
  StoreView initial = f.view("t:nobody");
  ASSERT_TRUE(initial.ok) << "server code sees a key that does not exist at its initial state";
  EXPECT_EQ(initial.version, 0u);
  EXPECT_EQ(f.loaded(), 0) << "a key with nothing stored is not kept";
  OpOutcome rejected = f.op("t:nobody", "nonsense");
  EXPECT_EQ(rejected.error.at("reason"), "unknown_op");
  EXPECT_EQ(f.loaded(), 0);
  f.sqlite->flush();
  std::vector<std::string> stored;
  ASSERT_FALSE(f.sqlite->keys(stored));
  EXPECT_TRUE(stored.empty()) << "nothing was written for it";

  ASSERT_TRUE(f.op("t:nobody", "set", JsonObject{{"n", 1}}).ok) << "its first op makes it";
  StoreView exists = f.view("t:nobody", true);
  EXPECT_TRUE(exists.ok);
  EXPECT_EQ(exists.version, 1u);
}

TEST(LocalStores, CallsForAColdKeyShareOneReadThatNeverBlocksTheReactor) {
  Fixture f({.max_keys = 100, .idle = 1h});
  auto appended = std::make_shared<WaitQueue<std::optional<std::string>>>();
  f.sqlite->append("t:cold", 1, JsonObject{{"name", "set"}}, json::array{JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", 3}}},
                   [appended](std::optional<std::string> e) { appended->push(std::move(e)); });
  ASSERT_FALSE(appended->next("the stored op"));
  ASSERT_TRUE(f.op("t:warm", "set", JsonObject{{"n", 1}}).ok);  // in memory before the gate closes
  f.gated->set_open(false);

  auto views = std::make_shared<WaitQueue<StoreView>>();
  auto ops = std::make_shared<WaitQueue<OpOutcome>>();
  run_on(f.caller(), [&] {
    for (int i = 0; i < 4; ++i) f.stores.view("t:cold", std::nullopt, [views](StoreView v) { views->push(std::move(v)); });
    OpCall c{"t:cold", "set", JsonObject{{"n", 4}}, Actor{"tester", {}, ""}, 0, std::nullopt, ""};
    f.stores.apply(std::move(c), [ops](OpOutcome o) { ops->push(std::move(o)); });
    return 0;
  });
  ASSERT_TRUE(f.gated->wait_reads("t:cold", 1)) << "the key is being read";
  // The reader is inside load(), held by the gate: the key's reactor still runs other work.
  EXPECT_EQ(run_on(f.caller(), [] { return 42; }), 42);
  EXPECT_EQ(f.view("t:warm").version, 1u) << "and the calls of keys in memory";
  EXPECT_EQ(views->size(), 0u) << "the calls wait for the read";

  f.gated->set_open(true);
  for (int i = 0; i < 4; ++i) {
    StoreView v = views->next("a view of the cold key");
    ASSERT_TRUE(v.ok);
    EXPECT_EQ(v.version, 1u) << "the views queued before the op see the stored version";
    EXPECT_EQ(v.state->at("n"), 3);
  }
  OpOutcome o = ops->next("the op on the cold key");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.version, 2u);
  EXPECT_EQ(f.gated->reads("t:cold"), 1) << "five calls, one read";
  EXPECT_EQ(f.loads(), 2u) << "t:warm and t:cold";
}

}  // namespace
}  // namespace cohort::store
