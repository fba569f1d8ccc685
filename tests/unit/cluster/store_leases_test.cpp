// store_leases_test.cpp — src/cluster/store_leases.* against a real redis-server of its own,
// two StoreLeases (nodes 1 and 2) on real reactors with real RedisLinks: a free key is taken
// with a fresh serial and the other node finds it theirs; racing resolves get one owner;
// a lease in use is renewed past its length; an idle key is given up only when quiet, and the
// other node takes it; a lease Redis no longer holds for us is lost at the next renewal; while
// Redis is down nothing is acquired ("unavailable") and an owned key stays usable until its
// lease lapses, not longer; unloaded() and release_all() give leases back; a key counts as ours
// only once its storage fence is taken, and a fence that fails gives the lease back
// ("storage_error"). The storage is a fake (its fence alone matters here). Every wait has a
// deadline.
#include "cluster/store_leases.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "reactor_support.hpp"
#include "redis_server.hpp"

namespace cohort::cluster {
namespace {

using namespace std::chrono_literals;
using test_support::run_on;
using test_support::WaitQueue;
using Clock = StoreLeases::Clock;

constexpr std::string_view kPrefix = "leases:";

// A Storage whose fences the test answers (take_fence queues its `done`); nothing else is used.
class FenceStorage final : public Storage {
 public:
  void append(std::string, std::uint64_t, Json, Json, Done done) override { unused("append"), done("unused"); }
  std::optional<std::string> load(std::string_view, LoadedKey&) override { return unused("load"), "unused"; }
  void snapshot(std::string, std::uint64_t, Json) override { unused("snapshot"); }
  std::optional<std::string> keys(std::vector<std::string>&) override { return unused("keys"), "unused"; }
  void add_commit_hook(CommitHook) override { unused("add_commit_hook"); }
  void flush() override {}
  void take_fence(std::string key, Done done) override { fences.push({std::move(key), std::move(done)}); }

  WaitQueue<std::pair<std::string, Done>> fences;

 private:
  static void unused(const char* what) { ADD_FAILURE() << "StoreLeases used Storage::" << what; }
};

struct Settings {
  std::chrono::milliseconds lease{60'000};  // long: a lease that goes away was given back, not expired
  std::chrono::milliseconds idle{1h};
  Storage* storage = nullptr;
};

// One node's leases: its own command link to Redis, on its own reactor.
class LeaseNode {
 public:
  LeaseNode(net::Reactor& reactor, std::uint16_t port, std::uint32_t id, Settings s) : reactor_(reactor), id_(id) {
    run_on(reactor_, [&] {
      link_ = std::make_unique<RedisLink>(reactor_, RedisLink::Options{.address = {"127.0.0.1", port}});
      link_->on_up([this] { ups.push(1); });
      link_->on_down([this] { downs.push(1); });
      leases_ = std::make_unique<StoreLeases>(reactor_, *link_, s.storage, id, std::string(kPrefix), s.lease, s.idle);
      leases_->on_won([this](const std::string& key) { won.push(key); });
      leases_->on_lost([this](const std::string& key) { lost.push(key); });
      leases_->on_renewed([this] { renewals.push(1); });
      leases_->can_release([this](const std::string& key, std::function<void(bool)> answer) {
        asked.push(key);
        answer(quiet.load());
      });
      link_->start();
      return 0;
    });
    ups.next("node " + std::to_string(id) + "'s link up");
    run_on(reactor_, [&] { return leases_->start(), 0; });
  }
  ~LeaseNode() {
    run_on(reactor_, [&] {
      leases_->stop();
      link_.reset();
      leases_.reset();
      return 0;
    });
  }

  // Who owns key, as resolve() answers.
  KeyOwner resolve(const std::string& key) {
    auto answers = std::make_shared<WaitQueue<KeyOwner>>();
    run_on(reactor_, [&] { return leases_->resolve(key, [answers](KeyOwner o) { answers->push(std::move(o)); }), 0; });
    return answers->next("node " + std::to_string(id_) + "'s owner of " + key);
  }
  // Runs fn(leases) on the node's reactor.
  template <class Fn>
  auto on(Fn fn) {
    return run_on(reactor_, [&] { return fn(*leases_); });
  }
  bool owns(const std::string& key) {
    return on([&](StoreLeases& l) { return l.owns(key); });
  }
  std::uint32_t id() const { return id_; }

  WaitQueue<std::string> won, lost, asked;
  WaitQueue<int> ups, downs, renewals;
  std::atomic<bool> quiet{true};  // what can_release answers

 private:
  net::Reactor& reactor_;
  std::uint32_t id_;
  std::unique_ptr<RedisLink> link_;
  std::unique_ptr<StoreLeases> leases_;
};

class StoreLeasesTest : public ::testing::Test {
 protected:
  StoreLeasesTest() : port_(test_support::free_port()), redis_(port_), reactors_(2) { reactors_.start(); }
  ~StoreLeasesTest() override {
    nodes_.clear();
    reactors_.stop();
    reactors_.join();
  }
  LeaseNode& node(std::uint32_t id, Settings s = {}) {
    nodes_.push_back(std::make_unique<LeaseNode>(reactors_.at(id - 1), port_, id, s));
    return *nodes_.back();
  }
  // What Redis holds as key's lease: "<node>:<serial>", or "" when nobody holds it.
  std::string lease_of(const std::string& key) { return probe().text({"GET", std::string(kPrefix) + "lease:" + key}); }
  // Waits (deadline) until Redis holds `value` as key's lease; the lease's last value.
  std::string wait_lease(const std::string& key, const std::string& value,
                         std::chrono::milliseconds within = test_support::kReactorDeadline) {
    // Redis's own state: nothing announces a lease expiring there.
    std::string now;
    test_support::eventually([&] { return (now = lease_of(key)) == value; }, within);
    return now;
  }
  test_support::RedisClient& probe() {
    if (!probe_) probe_ = std::make_unique<test_support::RedisClient>(port_);
    return *probe_;
  }

  std::uint16_t port_;
  test_support::RedisServer redis_;
  net::ReactorSet reactors_;
  std::vector<std::unique_ptr<LeaseNode>> nodes_;
  std::unique_ptr<test_support::RedisClient> probe_;
};

TEST_F(StoreLeasesTest, AFreeKeyIsTakenWithAFreshSerialAndTheOtherNodeFindsItTheirs) {
  LeaseNode& a = node(1);
  LeaseNode& b = node(2);
  KeyOwner first = a.resolve("t:1");
  ASSERT_EQ(first.kind, KeyOwner::Kind::mine) << first.error;
  EXPECT_EQ(first.node, 1u);
  EXPECT_EQ(a.won.next("on_won"), "t:1");
  EXPECT_TRUE(a.owns("t:1"));
  EXPECT_EQ(lease_of("t:1"), "1:1");
  long long pttl = probe().integer({"PTTL", std::string(kPrefix) + "lease:t:1"});
  EXPECT_GT(pttl, 0);
  EXPECT_LE(pttl, 60'000) << "the lease expires in Redis by itself";

  KeyOwner other = b.resolve("t:1");
  EXPECT_EQ(other.kind, KeyOwner::Kind::theirs);
  EXPECT_EQ(other.node, 1u);
  EXPECT_FALSE(b.owns("t:1"));
  EXPECT_TRUE(b.on([](StoreLeases& l) { return l.known("t:1"); }));
  EXPECT_EQ(b.won.size(), 0u);

  EXPECT_EQ(b.resolve("t:2").kind, KeyOwner::Kind::mine);
  EXPECT_EQ(lease_of("t:2"), "2:2") << "each holding of a lease has its own serial";
  EXPECT_EQ(a.resolve("t:1").kind, KeyOwner::Kind::mine) << "known: answered without Redis";
  EXPECT_EQ(a.on([](StoreLeases& l) { return l.owned(); }), 1u);
}

TEST_F(StoreLeasesTest, RacingResolvesOfOneKeyGetOneOwner) {
  LeaseNode& a = node(1);
  LeaseNode& b = node(2);
  auto answers = std::make_shared<WaitQueue<std::pair<std::uint32_t, KeyOwner>>>();
  constexpr int kKeys = 20;
  auto ask = [&](LeaseNode& n) {
    n.on([&](StoreLeases& l) {
      for (int k = 0; k < kKeys; ++k)
        for (int twice = 0; twice < 2; ++twice)  // the second waits for the first's acquire
          l.resolve("race:" + std::to_string(k), [answers, id = n.id()](KeyOwner o) { answers->push({id, o}); });
      return 0;
    });
  };
  std::thread other([&] { ask(b); });
  ask(a);
  other.join();
  std::map<std::uint32_t, int> mine;
  for (int i = 0; i < kKeys * 4; ++i) {
    auto [asker, owner] = answers->next("an answer of the race");
    ASSERT_NE(owner.kind, KeyOwner::Kind::error) << owner.error;
    if (owner.kind == KeyOwner::Kind::mine) ++mine[asker];
    else EXPECT_NE(owner.node, asker) << "theirs names the other node";
  }
  EXPECT_EQ(mine[1] + mine[2], kKeys * 2) << "each key is one node's, both of its resolves saying so";
  EXPECT_EQ(probe().text({"GET", std::string(kPrefix) + "lease_serial"}), std::to_string(kKeys))
      << "one acquisition per key";
  for (int k = 0; k < kKeys; ++k) {
    std::string key = "race:" + std::to_string(k);
    EXPECT_NE(a.owns(key), b.owns(key)) << key;
  }
}

TEST_F(StoreLeasesTest, ALeaseInUseIsRenewedPastItsLength) {
  LeaseNode& a = node(1, {.lease = 300ms});
  LeaseNode& b = node(2, {.lease = 300ms});
  auto taken = Clock::now();
  ASSERT_EQ(a.resolve("t:r").kind, KeyOwner::Kind::mine);
  // Renewals come every lease/3: seven of them take more than two lease lengths.
  for (int i = 1; i <= 7; ++i) a.renewals.next("renewal " + std::to_string(i));
  EXPECT_GT(Clock::now() - taken, 600ms);
  EXPECT_TRUE(a.owns("t:r")) << "still ours two lease lengths later";
  EXPECT_EQ(lease_of("t:r"), "1:1") << "the same holding, extended";
  KeyOwner other = b.resolve("t:r");
  EXPECT_EQ(other.kind, KeyOwner::Kind::theirs);
  EXPECT_EQ(a.lost.size(), 0u);
}

TEST_F(StoreLeasesTest, AnIdleKeyIsGivenUpOnlyWhenQuietAndTheOtherNodeTakesIt) {
  LeaseNode& a = node(1, {.lease = 900ms, .idle = 150ms});
  LeaseNode& b = node(2, {.lease = 900ms, .idle = 150ms});
  a.quiet = false;  // say, a lock held on it
  ASSERT_EQ(a.resolve("t:idle").kind, KeyOwner::Kind::mine);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.asked.next("can_release asked"), "t:idle");
  EXPECT_TRUE(a.owns("t:idle")) << "a key that is not quiet is kept, however idle";
  EXPECT_EQ(lease_of("t:idle"), "1:1");

  a.quiet = true;
  EXPECT_EQ(a.lost.next("the idle key given up"), "t:idle");
  // Renewed until then, the lease would live on in Redis for most of its 900 ms.
  EXPECT_EQ(wait_lease("t:idle", "", 400ms), "") << "the lease is deleted, not left to expire";
  EXPECT_FALSE(a.owns("t:idle"));
  EXPECT_EQ(a.on([](StoreLeases& l) { return l.owned(); }), 0u);
  EXPECT_EQ(b.resolve("t:idle").kind, KeyOwner::Kind::mine);
  EXPECT_EQ(lease_of("t:idle"), "2:2");
}

TEST_F(StoreLeasesTest, ALeaseRedisNoLongerHoldsForUsIsLostAtTheNextRenewal) {
  // Renewals every second; the lease would lapse on its own 2.7 s after its last renewal.
  LeaseNode& a = node(1, {.lease = 3000ms});
  LeaseNode& b = node(2, {.lease = 3000ms});
  ASSERT_EQ(a.resolve("t:moved").kind, KeyOwner::Kind::mine);
  // Redis forgets the lease (a restart without persistence, say) and node 2 takes the key.
  auto forgotten = Clock::now();
  EXPECT_EQ(probe().integer({"DEL", std::string(kPrefix) + "lease:t:moved"}), 1);
  ASSERT_EQ(b.resolve("t:moved").kind, KeyOwner::Kind::mine);
  EXPECT_EQ(a.lost.next("the lease lost at renewal"), "t:moved");
  EXPECT_LT(Clock::now() - forgotten, 1500ms) << "lost at the next renewal, not when it would have lapsed";
  EXPECT_FALSE(a.owns("t:moved"));
  KeyOwner now = a.resolve("t:moved");
  EXPECT_EQ(now.kind, KeyOwner::Kind::theirs);
  EXPECT_EQ(now.node, 2u);
}

TEST_F(StoreLeasesTest, WhileRedisIsDownNothingIsAcquiredAndAnOwnedKeyLapsesAtItsLeaseNotBefore) {
  LeaseNode& a = node(1, {.lease = 400ms});
  auto asked = Clock::now();
  ASSERT_EQ(a.resolve("t:kept").kind, KeyOwner::Kind::mine);
  redis_.stop();
  a.downs.next("the link down");
  KeyOwner refused = a.resolve("t:new");
  ASSERT_EQ(refused.kind, KeyOwner::Kind::error);
  EXPECT_EQ(refused.error.at("reason"), "unavailable");
  EXPECT_NE(refused.error.at("detail").as_string().find("unreachable"), std::string::npos) << refused.error;

  EXPECT_EQ(a.lost.next("the owned key lapsing"), "t:kept");
  EXPECT_GE(Clock::now() - asked, 400ms - 40ms) << "kept until lease - lease/10 after it was last sent";
  EXPECT_FALSE(a.owns("t:kept"));
  EXPECT_EQ(a.resolve("t:kept").kind, KeyOwner::Kind::error) << "nobody can own it while Redis is down";

  redis_.start();
  a.ups.next("the link back up");
  EXPECT_EQ(a.resolve("t:kept").kind, KeyOwner::Kind::mine);
}

TEST_F(StoreLeasesTest, UnloadedAndReleaseAllGiveLeasesBack) {
  LeaseNode& a = node(1);
  ASSERT_EQ(a.resolve("t:u1").kind, KeyOwner::Kind::mine);
  ASSERT_EQ(a.resolve("t:u2").kind, KeyOwner::Kind::mine);

  a.on([](StoreLeases& l) { return l.unloaded("t:u1", Clock::now()), 0; });
  EXPECT_EQ(a.lost.next("t:u1 given up"), "t:u1");
  EXPECT_EQ(wait_lease("t:u1", ""), "");
  EXPECT_FALSE(a.on([](StoreLeases& l) { return l.known("t:u1"); })) << "and forgotten";

  auto unloaded_at = Clock::now();
  ASSERT_EQ(a.resolve("t:u2").kind, KeyOwner::Kind::mine);  // a call on its way after the unload
  a.on([&](StoreLeases& l) { return l.unloaded("t:u2", unloaded_at), 0; });
  EXPECT_TRUE(a.owns("t:u2")) << "a key used after it was unloaded keeps its lease";

  a.on([](StoreLeases& l) { return l.release_all(), 0; });
  EXPECT_EQ(a.lost.next("t:u2 released"), "t:u2");
  EXPECT_EQ(wait_lease("t:u2", ""), "");
  EXPECT_EQ(a.on([](StoreLeases& l) { return l.owned(); }), 0u);
}

TEST_F(StoreLeasesTest, AKeyIsOursOnlyOnceItsFenceIsTakenAndAFailedFenceGivesTheLeaseBack) {
  FenceStorage storage;
  LeaseNode& a = node(1, {.storage = &storage});
  LeaseNode& b = node(2);
  auto answers = std::make_shared<WaitQueue<KeyOwner>>();
  a.on([&](StoreLeases& l) {
    return l.resolve("t:f", [answers](KeyOwner o) { answers->push(std::move(o)); }), 0;
  });
  auto [key, done] = storage.fences.next("the fence asked for");
  EXPECT_EQ(key, "t:f");
  EXPECT_EQ(lease_of("t:f"), "1:1") << "the lease is taken first";
  EXPECT_FALSE(a.owns("t:f")) << "but the key is not ours before its fence";
  EXPECT_EQ(answers->size(), 0u);
  EXPECT_EQ(a.won.size(), 0u);
  done(std::nullopt);  // from another thread, as the storage's writer answers
  KeyOwner owner = answers->next("the owner once fenced");
  EXPECT_EQ(owner.kind, KeyOwner::Kind::mine);
  EXPECT_EQ(a.won.next("on_won"), "t:f");
  EXPECT_TRUE(a.owns("t:f"));

  a.on([&](StoreLeases& l) {
    return l.resolve("t:g", [answers](KeyOwner o) { answers->push(std::move(o)); }), 0;
  });
  auto fence = storage.fences.next("the second fence");
  fence.second("the database is read-only");
  KeyOwner failed = answers->next("the answer of a failed fence");
  ASSERT_EQ(failed.kind, KeyOwner::Kind::error);
  EXPECT_EQ(failed.error, (JsonObject{{"reason", "storage_error"}, {"detail", "the database is read-only"}}));
  EXPECT_EQ(wait_lease("t:g", ""), "") << "the lease is given back at once";
  EXPECT_EQ(a.won.size(), 0u);
  EXPECT_EQ(b.resolve("t:g").kind, KeyOwner::Kind::mine) << "so another node can take the key";
}

}  // namespace
}  // namespace cohort::cluster
