// cluster_stores_test.cpp — src/cluster/cluster_stores.* with two nodes in one process, each
// with its own reactors, LocalStores, Cluster and Redis links, joined through a real
// redis-server of the test's own and sharing one SQLite storage (what PostgreSQL is to real
// nodes; SQLite has no fences, so fencing is store_leases_test's). Covers: a call on another
// node's key is forwarded to its owner and answered (ops, their errors, views, end_session),
// sessions are node-unique; a view_existing of a key nobody stored takes no lease; without
// Redis, or without storage the nodes share, calls fail "unavailable" with a reason; a call
// forwarded to a silent owner fails "unavailable" once it is declared down, or, before that,
// once the forward timeout passes with no answer; a lock held by a node that went silent ends
// when it is declared down; a dead owner's key is taken over at its lease's end and goes on at
// the version it committed; an owner that lost the key answers "moved" and the call is routed
// again (to whoever holds it now), and a call moved kMaxMoves times fails "unavailable" with
// nothing applied. Every wait has a deadline.
#include "cluster/cluster_stores.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "cluster/cluster.hpp"
#include "reactor_support.hpp"
#include "redis_server.hpp"

namespace cohort::cluster {
namespace {

using namespace std::chrono_literals;
using test_support::eventually;
using test_support::run_on;
using test_support::WaitQueue;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSecret = "cluster-stores-test-secret-of-32-bytes-or-more";
constexpr std::string_view kPrefix = "cs:";

StoreKind counter_kind() {
  StoreKind k;
  k.name = "t";
  k.initial = JsonObject{{"n", 0}, {"log", json::array{}}};
  k.ops["add"] = OpSpec{{}, [](const OpRequest& r) {
    const std::int64_t next = r.state.at("n").to_number<std::int64_t>() + 1;
    return OpResult::change({JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", next}},
                             JsonObject{{"op", "add"}, {"path", "/log/-"}, {"value", r.args.at("by")}}});
  }};
  return k;
}

struct NodeOptions {
  bool shared_storage = true;
  std::chrono::milliseconds lease{600};
  std::chrono::milliseconds down_after{500};  // silence after which this node declares another down
  std::chrono::milliseconds forward_timeout = ClusterStores::kForwardTimeout;
};

// One node: what src/node.cpp builds for stores in a cluster, on two reactors (0 is the
// cluster's); calls come from reactor 1.
class ClusterNode {
 public:
  ClusterNode(std::uint16_t port, Storage& storage, NodeOptions o = {}) {
    local.define(counter_kind());
    local.set_storage(&storage);
    ClusterSettings settings{.url = "redis://127.0.0.1:" + std::to_string(port),
                             .password_file = {},
                             .prefix = std::string(kPrefix),
                             .heartbeat = 100ms,
                             .down_after = o.down_after};
    auto joined = Cluster::join(settings, derive_cluster_key(kSecret), reactors, pubsub, tracker);
    if (auto* error = std::get_if<std::string>(&joined)) throw std::runtime_error(*error);
    cluster = std::move(std::get<std::unique_ptr<Cluster>>(joined));
    stores.attach(*cluster, &storage, o.shared_storage, o.lease, 1h, o.forward_timeout);
    reactors.start();
    cluster->start();
    if (!links_up()) throw std::runtime_error("the node's Redis links did not come up");
  }
  ~ClusterNode() {
    if (running_) cluster->leave(500ms);
    stop();
    cluster.reset();
    local.stop_loading();
  }
  // The node stops dead (a crash, a pause): no bye, no lease given back; its Redis connections
  // stay open, as a paused process's do, until the node is destroyed.
  void stop() {
    if (!running_) return;
    running_ = false;
    reactors.stop();
    reactors.join();
  }
  bool links_up() {
    return eventually([&] { return cluster->counters().links_up.load() == 2; });
  }
  std::uint32_t id() const { return cluster->node_id(); }
  const ClusterCounters& counters() const { return cluster->counters(); }

  OpOutcome apply(const std::string& key, std::string name, Json args = JsonObject{}, std::uint64_t session = 0) {
    auto outcomes = std::make_shared<WaitQueue<OpOutcome>>();
    run_on(reactors.at(1), [&] {
      OpCall call{key, std::move(name), std::move(args), Actor{"tester", {}, ""}, session, std::nullopt, ""};
      stores.apply(std::move(call), [outcomes](OpOutcome o) { outcomes->push(std::move(o)); });
      return 0;
    });
    return outcomes->next("node " + std::to_string(id()) + "'s outcome on " + key);
  }
  OpOutcome add(const std::string& key, std::string by) { return apply(key, "add", JsonObject{{"by", std::move(by)}}); }
  StoreView view(const std::string& key, bool existing = false) {
    auto views = std::make_shared<WaitQueue<StoreView>>();
    run_on(reactors.at(1), [&] {
      auto done = [views](StoreView v) { views->push(std::move(v)); };
      if (existing) stores.view_existing(key, std::nullopt, done);
      else stores.view(key, std::nullopt, done);
      return 0;
    });
    return views->next("node " + std::to_string(id()) + "'s view of " + key);
  }

  net::ReactorSet reactors{2};
  pubsub::LocalPubSub pubsub{reactors};
  presence::Tracker tracker{reactors, pubsub, 0, 100ms};
  store::LocalStores local{reactors, pubsub, nullptr};
  ClusterStores stores{local};
  std::unique_ptr<Cluster> cluster;

 private:
  bool running_ = true;
};

class ClusterStoresTest : public ::testing::Test {
 protected:
  ClusterStoresTest() : port_(test_support::free_port()), redis_(port_) {
    dir_ = std::filesystem::temp_directory_path() / ("cohort-cluster-stores-" + std::to_string(std::random_device{}()));
    std::string error;
    storage_ = open_sqlite_storage(dir_.string(), error);
    if (!storage_) throw std::runtime_error(error);
  }
  ~ClusterStoresTest() override {
    for (auto& n : nodes_) n->stop();
    storage_->flush();  // its last callbacks post to the (stopped) reactors: before they go
    nodes_.clear();
    storage_.reset();
    std::filesystem::remove_all(dir_);
  }
  ClusterNode& node(NodeOptions o = {}) {
    nodes_.push_back(std::make_unique<ClusterNode>(port_, *storage_, o));
    return *nodes_.back();
  }
  static std::string lease_key(const std::string& key) { return std::string(kPrefix) + "lease:" + key; }
  std::string lease_of(const std::string& key) { return probe().text({"GET", lease_key(key)}); }
  test_support::RedisClient& probe() {
    if (!probe_) probe_ = std::make_unique<test_support::RedisClient>(port_);
    return *probe_;
  }
  static std::string holder(std::uint32_t node) { return std::to_string(node) + ":"; }

  std::uint16_t port_;
  test_support::RedisServer redis_;
  std::filesystem::path dir_;
  std::unique_ptr<Storage> storage_;
  std::vector<std::unique_ptr<ClusterNode>> nodes_;
  std::unique_ptr<test_support::RedisClient> probe_;
};

TEST_F(ClusterStoresTest, ACallOnAnotherNodesKeyIsForwardedToItsOwnerAndAnswered) {
  ClusterNode& a = node();
  ClusterNode& b = node();
  ASSERT_NE(a.id(), b.id());
  OpOutcome first = a.add("t:1", "a");
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(lease_of("t:1").rfind(holder(a.id()), 0), 0u) << "the first node to use the key owns it";

  OpOutcome second = b.add("t:1", "b");
  ASSERT_TRUE(second.ok) << second.error;
  EXPECT_EQ(second.version, 2u);
  StoreView seen = b.view("t:1");
  ASSERT_TRUE(seen.ok) << seen.error;
  EXPECT_EQ(seen.version, 2u);
  EXPECT_EQ(seen.state->at("log"), (Json(json::array{"a", "b"})));
  OpOutcome refused = b.apply("t:1", "no_such_op");
  EXPECT_EQ(refused.error.at("reason"), "unknown_op") << "the owner's refusal comes back as it is";
  EXPECT_EQ(refused.version, 2u);
  EXPECT_EQ(b.counters().store_forwarded.load(), 3u);
  EXPECT_EQ(a.counters().store_answered.load(), 3u);
  EXPECT_EQ(b.counters().store_keys_won.load(), 0u) << "b never held the key";
  EXPECT_EQ(a.view("t:1").version, 2u);
}

TEST_F(ClusterStoresTest, SessionsAreNodeUniqueAndAnEndSessionReachesTheKeysOwner) {
  ClusterNode& a = node();
  ClusterNode& b = node();
  ASSERT_TRUE(a.add("t:l", "a").ok);
  const std::uint64_t session = b.stores.new_session();
  EXPECT_EQ(session >> 40, b.id()) << "the node's id is in the session's top bits";
  EXPECT_NE(a.stores.new_session() >> 40, session >> 40);

  OpOutcome locked = b.apply("t:l", "lock", JsonObject{{"path", "/n"}}, session);
  ASSERT_TRUE(locked.ok) << locked.error;
  OpOutcome blocked = a.add("t:l", "a");
  ASSERT_FALSE(blocked.ok);
  EXPECT_EQ(blocked.error.at("reason"), "locked");
  EXPECT_EQ(a.view("t:l").locks.size(), 1u);

  run_on(b.reactors.at(1), [&] { return b.stores.end_session("t:l", session), 0; });
  EXPECT_TRUE(eventually([&] { return a.view("t:l").locks.empty(); })) << "the lock ended on the owner";
  EXPECT_TRUE(a.add("t:l", "a").ok);
}

TEST_F(ClusterStoresTest, AViewExistingOfAKeyNobodyStoredTakesNoLease) {
  ClusterNode& a = node();
  StoreView missing = a.view("t:ghost", /*existing=*/true);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.error, (JsonObject{{"reason", "not_found"}, {"key", "t:ghost"}}));
  EXPECT_EQ(lease_of("t:ghost"), "") << "no lease in Redis for a made-up key";
  EXPECT_EQ(probe().text({"GET", std::string(kPrefix) + "lease_serial"}), "") << "no acquisition at all";
  EXPECT_EQ(a.counters().store_keys_won.load(), 0u);

  ASSERT_TRUE(a.add("t:ghost", "a").ok);
  StoreView found = a.view("t:ghost", true);
  EXPECT_TRUE(found.ok) << found.error;
  EXPECT_EQ(found.version, 1u);
}

TEST_F(ClusterStoresTest, WithoutRedisOrWithoutSharedStorageCallsAreUnavailableWithAReason) {
  ClusterNode& a = node();
  ClusterNode& alone = node({.shared_storage = false});
  OpOutcome unshared = alone.add("t:x", "alone");
  EXPECT_EQ(unshared.error.at("reason"), "unavailable");
  EXPECT_NE(unshared.error.at("detail").as_string().find("storage the nodes share"), std::string::npos);
  EXPECT_EQ(alone.view("t:x").error.at("reason"), "unavailable");

  ASSERT_TRUE(a.add("t:up", "a").ok);
  redis_.stop();
  ASSERT_TRUE(eventually([&] { return a.counters().links_up.load() == 0; }));
  OpOutcome down = a.add("t:new", "a");
  ASSERT_FALSE(down.ok);
  EXPECT_EQ(down.error.at("reason"), "unavailable");
  EXPECT_NE(down.error.at("detail").as_string().find("unreachable"), std::string::npos) << down.error;
  EXPECT_GE(a.counters().store_unavailable.load(), 1u);

  redis_.start();
  ASSERT_TRUE(a.links_up());
  OpOutcome back = a.add("t:new", "a");
  EXPECT_TRUE(back.ok) << back.error;
}

TEST_F(ClusterStoresTest, ADeadOwnersKeyIsTakenOverAtItsLeasesEndAtTheVersionItCommitted) {
  ClusterNode& a = node();
  ClusterNode& b = node();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a.add("t:f", "a").ok);
  ASSERT_TRUE(b.add("t:f", "b").ok) << "forwarded while a lives";
  const auto died = Clock::now();
  a.stop();
  a.cluster.reset();  // its connections close: nobody listens on its inbox any more

  OpOutcome after = b.add("t:f", "b");
  ASSERT_TRUE(after.ok) << after.error;
  EXPECT_EQ(after.version, 5u) << "versions go on from what the dead owner committed";
  EXPECT_GE(Clock::now() - died, 300ms) << "not before the dead owner's lease could have ended";
  EXPECT_EQ(lease_of("t:f").rfind(holder(b.id()), 0), 0u);
  EXPECT_EQ(b.counters().store_keys_won.load(), 1u);
  StoreView v = b.view("t:f");
  EXPECT_EQ(v.state->at("log"), (Json(json::array{"a", "a", "a", "b", "b"})));
}

TEST_F(ClusterStoresTest, ACallForwardedToASilentOwnerFailsUnavailableWhenItIsDeclaredDown) {
  ClusterNode& a = node();
  ClusterNode& b = node();
  ASSERT_TRUE(a.add("t:s", "a").ok);
  ASSERT_TRUE(b.add("t:s", "b").ok);
  a.stop();  // paused: its Redis connections stay open, so b's request is heard, never answered

  OpOutcome lost = b.add("t:s", "b");
  ASSERT_FALSE(lost.ok);
  EXPECT_EQ(lost.error.at("reason"), "unavailable");
  EXPECT_NE(lost.error.at("detail").as_string().find("is down"), std::string::npos) << lost.error;
  EXPECT_EQ(b.counters().nodes_down.load(), 1u);

  // Once the silent node's lease ran out in Redis, the key is b's.
  ASSERT_TRUE(eventually([&] { return lease_of("t:s").empty(); }));
  OpOutcome taken = b.add("t:s", "b");
  ASSERT_TRUE(taken.ok) << taken.error;
  EXPECT_EQ(taken.version, 3u) << "the unanswered op was never applied";
}

TEST_F(ClusterStoresTest, ALockHeldByANodeThatWentSilentEndsWhenItIsDeclaredDown) {
  ClusterNode& a = node();
  ClusterNode& b = node();
  ASSERT_TRUE(a.add("t:k", "a").ok);
  ASSERT_TRUE(b.apply("t:k", "lock", JsonObject{{"path", "/n"}}, b.stores.new_session()).ok);
  ASSERT_FALSE(a.add("t:k", "a").ok) << "locked by b's session";
  b.stop();
  ASSERT_TRUE(eventually([&] { return a.counters().nodes_down.load() == 1; }));
  EXPECT_TRUE(eventually([&] { return a.view("t:k").locks.empty(); })) << "b's sessions' locks end";
  EXPECT_TRUE(a.add("t:k", "a").ok);
}

TEST_F(ClusterStoresTest, AnOwnerThatLostTheKeyAnswersMovedAndTheCallIsRoutedAgain) {
  ClusterNode& a = node();
  ClusterNode& b = node();
  ASSERT_TRUE(a.add("t:m", "a").ok);
  ASSERT_TRUE(b.add("t:m", "b").ok) << "forwarded: b now believes a owns t:m";
  // Redis forgets the lease (as a restarted Redis would): a's next renewal finds it gone and a
  // gives the key up, while b still believes a owns it.
  ASSERT_EQ(probe().integer({"DEL", lease_key("t:m")}), 1);
  ASSERT_TRUE(eventually([&] { return a.counters().store_keys_owned.load() == 0; })) << "a lost the key";

  OpOutcome routed = b.add("t:m", "b");
  ASSERT_TRUE(routed.ok) << routed.error;
  EXPECT_EQ(routed.version, 3u) << "applied once, after what a committed";
  EXPECT_EQ(b.counters().store_forwarded.load(), 2u) << "sent to a, which answered moved";
  EXPECT_EQ(a.counters().store_answered.load(), 1u) << "a applied nothing for the moved call";
  EXPECT_EQ(b.counters().store_keys_won.load(), 1u) << "routed again: nobody held the key, so b took it";
  EXPECT_EQ(lease_of("t:m").rfind(holder(b.id()), 0), 0u);
  EXPECT_EQ(b.view("t:m").state->at("log"), (Json(json::array{"a", "b", "b"})));
}

TEST_F(ClusterStoresTest, ACallMovedTooOftenFailsUnavailableWithNothingApplied) {
  ClusterNode& a = node();
  ClusterNode& b = node();
  // Redis names a as the owner of a key a never took: a answers each forward "moved", and b,
  // asking Redis again, is sent back to a.
  ASSERT_EQ(probe().text({"SET", lease_key("t:loop"), holder(a.id()) + "999", "PX", "30000"}), "OK");
  OpOutcome lost = b.add("t:loop", "b");
  ASSERT_FALSE(lost.ok);
  EXPECT_EQ(lost.error.at("reason"), "unavailable");
  EXPECT_NE(lost.error.at("detail").as_string().find("keeps moving"), std::string::npos) << lost.error;
  EXPECT_EQ(b.counters().store_forwarded.load(), ClusterStores::kMaxMoves + 1) << "bounded";
  EXPECT_EQ(b.counters().store_unavailable.load(), 1u);
  EXPECT_EQ(a.counters().store_answered.load(), 0u);

  ASSERT_EQ(probe().integer({"DEL", lease_key("t:loop")}), 1);
  OpOutcome first = b.add("t:loop", "b");
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(first.version, 1u) << "the moved call was never applied";
}

TEST_F(ClusterStoresTest, AForwardedCallWithNoAnswerFailsUnavailableAfterTheForwardTimeout) {
  constexpr auto kTimeout = 300ms;
  ClusterNode& a = node();
  // b would declare a down only after 30 s: the forward timeout ends the call first.
  ClusterNode& b = node({.down_after = 30s, .forward_timeout = kTimeout});
  ASSERT_TRUE(a.add("t:q", "a").ok);
  ASSERT_TRUE(b.add("t:q", "b").ok);
  a.stop();  // paused: its Redis connections stay open, so b's request is heard, never answered

  const auto sent = Clock::now();
  OpOutcome lost = b.add("t:q", "b");
  const auto waited = Clock::now() - sent;
  ASSERT_FALSE(lost.ok);
  EXPECT_EQ(lost.error.at("reason"), "unavailable");
  EXPECT_NE(lost.error.at("detail").as_string().find("did not answer"), std::string::npos) << lost.error;
  EXPECT_GE(waited, kTimeout);
  EXPECT_LT(waited, ClusterStores::kForwardTimeout / 2) << "the timeout given to attach, not the default";
  EXPECT_EQ(b.counters().nodes_down.load(), 0u) << "failed by the timeout, not by down detection";
  EXPECT_EQ(b.counters().store_unavailable.load(), 1u);

  // The silent owner is forgotten: the next call asks Redis again, and once a's lease lapsed
  // there, b takes the key over at the version a committed.
  ASSERT_TRUE(eventually([&] { return lease_of("t:q").empty(); }));
  OpOutcome taken = b.add("t:q", "b");
  ASSERT_TRUE(taken.ok) << taken.error;
  EXPECT_EQ(taken.version, 3u) << "the unanswered op was never applied";
  EXPECT_EQ(b.counters().store_forwarded.load(), 2u) << "not sent to a again";
}

}  // namespace
}  // namespace cohort::cluster
