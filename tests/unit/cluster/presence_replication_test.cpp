// presence_replication_test.cpp — src/cluster/presence_replication.* as node 1 of a cluster:
// a real Tracker on real reactors, publishing through a real Outbox and RedisLink to a real
// redis-server of the test's own. The test plays node 2: it hears node 1's control channel
// through its own subscriber link (opening each seal with a real SealCheck) and speaks to node
// 1 through on_control(), the entry the Cluster calls once a message's seal is checked.
// Covers: local presence out as deltas with rising sequence numbers, heartbeats carrying the
// sequence and a digest every kDigestEvery beats; node 2's deltas and digests into every
// reactor's replica; a gap, or a heartbeat ahead, asking node 2 for a sync, which its digest
// heals; hello and a sync addressed to node 1 answered with a digest (not one addressed to
// another node); a message naming another node than its sender dropped; a silent node
// declared down (its presences leave, local subscribers get the presence_diff) and a bye
// acting at once; and a Redis outage: deltas counted as dropped, nobody declared down while
// node 1 hears nobody, the missed sequence announced and healed once the links are back.
#include "cluster/presence_replication.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "reactor_support.hpp"
#include "redis_server.hpp"

namespace cohort::cluster {
namespace {

using namespace std::chrono_literals;
using test_support::run_on;
using test_support::WaitQueue;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSecret = "presence-replication-test-secret-of-32-bytes";
constexpr std::string_view kChannel = "pr:cluster";
constexpr std::uint32_t kSelf = 1, kOther = 2;

// {key: {metas: [{phx_ref, name}]}}: a presence state (or the joins of a diff).
JsonObject presences(std::initializer_list<const char*> keys) {
  JsonObject out;
  for (const char* key : keys)
    out[key] = JsonObject{{"metas", json::array{JsonObject{{"phx_ref", std::string("ref-") + key}, {"name", key}}}}};
  return out;
}

// What a local subscriber of a topic receives (presence_diff broadcasts).
class Sink final : public Subscriber {
 public:
  void on_broadcast(const Broadcast& m) override { received.push(m); }
  WaitQueue<Broadcast> received;
};

class PresenceReplicationTest : public ::testing::Test {
 protected:
  PresenceReplicationTest() : port_(test_support::free_port()), redis_(port_) {}
  ~PresenceReplicationTest() override {
    if (!started_) return;
    run_on(reactors_.at(0), [&] {
      replication_->stop();
      replication_.reset();
      outbox_.reset();
      link_.reset();
      return 0;
    });
    run_on(reactors_.at(1), [&] {
      if (sink_subscribed_) pubsub_.unsubscribe(sink_topic_, &sink_);
      listener_.reset();
      return 0;
    });
    reactors_.stop();
    reactors_.join();
  }

  // Node 1 on its reactors, its link up; node 2's listener subscribed to the control channel.
  void start(std::chrono::milliseconds heartbeat = 50ms, std::chrono::milliseconds down_after = 300ms) {
    tracker_.set_node_id(kSelf);
    tracker_.set_replication([this](const std::string& topic, std::shared_ptr<const JsonObject> diff) {
      replication_->local_diff(topic, std::move(diff));
    });
    reactors_.start();
    started_ = true;
    RedisAddress address{"127.0.0.1", port_};
    run_on(reactors_.at(0), [&] {
      link_ = std::make_unique<RedisLink>(reactors_.at(0), RedisLink::Options{.address = address});
      outbox_ = std::make_unique<Outbox>(*link_, key_, kSelf);
      replication_ = std::make_unique<PresenceReplication>(reactors_.at(0), *outbox_, tracker_, kSelf,
                                                           std::string(kChannel), heartbeat, down_after, counters_);
      replication_->on_node_gone([this](std::uint32_t node) { gone_.push(node); });
      // What the Cluster does when its links come and go.
      link_->on_up([this] {
        replication_->links_up();
        ups_.push(1);
      });
      link_->on_down([this] {
        replication_->subscriber_down();
        downs_.push(1);
      });
      link_->start();
      replication_->start();
      return 0;
    });
    run_on(reactors_.at(1), [&] {
      listener_ = std::make_unique<RedisLink>(reactors_.at(1), RedisLink::Options{.address = address,
                                                                                  .mode = RedisLink::Mode::subscriber});
      listener_->on_up([this] { listener_->subscribe(std::vector<std::string>{std::string(kChannel)}, true); });
      listener_->on_subscribed([this](std::string_view) { subscribed_.push(1); });
      listener_->on_message([this](std::string_view channel, std::string_view payload) { hear(channel, payload); });
      listener_->start();
      return 0;
    });
    ups_.next("node 1's link up");
    subscribed_.next("node 2 listening");
  }

  // Node 2 opens what node 1 published, as its Cluster would.
  void hear(std::string_view channel, std::string_view payload) {
    Opened opened = check_.open(channel, payload, unix_ms());
    if (opened.verdict != SealVerdict::accepted || opened.node != kSelf) {
      ADD_FAILURE() << "node 1 published a message node 2 cannot accept: " << verdict_name(opened.verdict);
      return;
    }
    auto decoded = decode_control(opened.body);
    if (auto* m = std::get_if<ControlMessage>(&decoded)) return heard_.push(std::move(*m));
    ADD_FAILURE() << "node 1 published a control message that does not decode";
  }
  // The next message of that kind node 1 published (others skipped) that satisfies pred.
  template <class Pred>
  ControlMessage next_heard(ControlKind kind, Pred pred, const std::string& what) {
    auto deadline = Clock::now() + test_support::kReactorDeadline;
    while (Clock::now() < deadline) {
      ControlMessage m = heard_.next(what);
      if (m.kind == kind && pred(m)) return m;
    }
    throw std::runtime_error("no " + what + " within the deadline");
  }
  ControlMessage next_heard(ControlKind kind, const std::string& what) {
    return next_heard(kind, [](const ControlMessage&) { return true; }, what);
  }

  // Node 2 says m to node 1 (its seal already checked), on the cluster reactor.
  void say(ControlMessage m) {
    m.node = m.node ? m.node : kOther;
    run_on(reactors_.at(0), [&] { return replication_->on_control(kOther, encode_control(m)), 0; });
  }
  void say_delta(std::uint64_t seq, const std::string& topic, JsonObject joins, JsonObject leaves = {}) {
    ControlMessage m{ControlKind::delta, kOther, seq, topic, std::move(joins), std::move(leaves), {}, 0};
    say(std::move(m));
  }
  void say_digest(std::uint64_t seq, JsonObject topics) {
    say(ControlMessage{ControlKind::digest, kOther, seq, "", {}, {}, std::move(topics), 0});
  }
  void say(ControlKind kind, std::uint64_t seq = 0, std::uint32_t to = 0) {
    say(ControlMessage{kind, kOther, seq, "", {}, {}, {}, to});
  }
  // The presences of topic in reactor i's replica, once everything posted before has run there
  // (node 2's diffs are posted from the cluster reactor, so say() then list() is ordered).
  JsonObject list(unsigned i, const std::string& topic) {
    run_on(reactors_.at(0), [] { return 0; });
    return run_on(reactors_.at(i), [&] { return tracker_.list(topic); });
  }
  // Node 1 tracks key on topic from reactor 1.
  void track(const std::string& topic, const std::string& key) {
    run_on(reactors_.at(1), [&] {
      owner_ = owner_ ? owner_ : tracker_.new_owner();
      return tracker_.track(owner_, topic, key, JsonObject{{"name", key}});
    });
  }
  void untrack(const std::string& topic, const std::string& key) {
    run_on(reactors_.at(1), [&] { return tracker_.untrack(owner_, topic, key), 0; });
  }
  void watch(const std::string& topic) {
    sink_topic_ = topic;
    run_on(reactors_.at(1), [&] { return pubsub_.subscribe(topic, &sink_), sink_subscribed_ = true; });
  }
  std::uint64_t counter(const std::atomic<std::uint64_t>& c) const { return c.load(); }

  std::uint16_t port_;
  test_support::RedisServer redis_;
  ClusterKey key_ = derive_cluster_key(kSecret);
  net::ReactorSet reactors_{2};
  pubsub::LocalPubSub pubsub_{reactors_};
  presence::Tracker tracker_{reactors_, pubsub_, kSelf, 10ms};
  ClusterCounters counters_;
  std::unique_ptr<RedisLink> link_;  // reactor 0
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<PresenceReplication> replication_;
  std::unique_ptr<RedisLink> listener_;  // reactor 1: node 2's ears
  SealCheck check_{key_, kOther};        // reactor 1
  WaitQueue<ControlMessage> heard_;
  WaitQueue<std::uint32_t> gone_;
  WaitQueue<int> ups_, downs_, subscribed_;
  Sink sink_;
  std::string sink_topic_;
  bool sink_subscribed_ = false;
  bool started_ = false;
  std::uint64_t owner_ = 0;
};

TEST_F(PresenceReplicationTest, LocalPresenceGoesOutAsDeltasWithRisingSequenceNumbers) {
  start();
  track("room:1", "alice");
  ControlMessage join = next_heard(ControlKind::delta, "alice's join");
  EXPECT_EQ(join.node, kSelf);
  EXPECT_EQ(join.seq, 1u);
  EXPECT_EQ(join.topic, "room:1");
  ASSERT_TRUE(join.joins.contains("alice")) << join.joins;
  EXPECT_TRUE(join.leaves.empty());
  untrack("room:1", "alice");
  ControlMessage leave = next_heard(ControlKind::delta, "alice's leave");
  EXPECT_EQ(leave.seq, 2u);
  EXPECT_TRUE(leave.leaves.contains("alice"));
  EXPECT_EQ(counter(counters_.presence_sent), 2u);
  ControlMessage beat = next_heard(ControlKind::heartbeat, "a heartbeat");
  EXPECT_EQ(beat.seq, 2u) << "a heartbeat announces the sequence";
}

TEST_F(PresenceReplicationTest, EveryTenthHeartbeatCarriesADigestOfAllThisNodeOwns) {
  start(20ms);
  track("room:1", "alice");
  track("room:2", "bob");
  ControlMessage digest = next_heard(
      ControlKind::digest, [](const ControlMessage& m) { return m.topics.size() == 2; }, "a digest with both");
  EXPECT_EQ(digest.seq, 2u);
  EXPECT_TRUE(digest.topics.at("room:1").as_object().contains("alice"));
  EXPECT_TRUE(digest.topics.at("room:2").as_object().contains("bob"));
  EXPECT_GE(counter(counters_.digests_sent), 1u);
}

TEST_F(PresenceReplicationTest, AnotherNodesDeltasAndDigestsReachEveryReplicaAndAGapAsksForASync) {
  start(10s);  // heartbeats out of the way: what node 1 sends here answers node 2
  say_digest(0, {});
  say_delta(1, "room:2", presences({"bob"}));
  for (unsigned i : {0u, 1u}) EXPECT_EQ(list(i, "room:2"), presences({"bob"})) << "reactor " << i;
  EXPECT_EQ(counter(counters_.syncs_requested), 0u) << "in order: no sync";

  say_delta(3, "room:2", presences({"carol"}));  // 2 went missing
  ControlMessage sync = next_heard(ControlKind::sync, "the sync request");
  EXPECT_EQ(sync.to, kOther);
  EXPECT_EQ(counter(counters_.syncs_requested), 1u);
  EXPECT_EQ(list(1, "room:2"), presences({"bob", "carol"})) << "what came is applied meanwhile";

  // The digest node 2 sends in answer replaces its view: dave joined in the lost delta, bob left.
  say_digest(3, {{"room:2", presences({"carol", "dave"})}});
  for (unsigned i : {0u, 1u}) EXPECT_EQ(list(i, "room:2"), presences({"carol", "dave"})) << "reactor " << i;
  EXPECT_EQ(counter(counters_.digests_applied), 2u);
}

TEST_F(PresenceReplicationTest, AHeartbeatAheadOfWhatWasAppliedAsksForASync) {
  start(10s);
  say_digest(4, {{"room:3", presences({"erin"})}});
  say(ControlKind::heartbeat, 4);
  EXPECT_EQ(counter(counters_.syncs_requested), 0u) << "up to date";
  say(ControlKind::heartbeat, 6);
  EXPECT_EQ(next_heard(ControlKind::sync, "the sync request").to, kOther);
  EXPECT_EQ(counter(counters_.syncs_requested), 1u);
}

TEST_F(PresenceReplicationTest, HelloAndASyncForThisNodeAreAnsweredWithADigestASyncForAnotherIsNot) {
  start(10s);
  track("room:1", "alice");
  next_heard(ControlKind::delta, "alice's join");
  const auto before = counter(counters_.digests_sent);
  say(ControlKind::sync, 0, 3);
  EXPECT_EQ(counter(counters_.digests_sent), before) << "a sync addressed to node 3 is not for us";
  say(ControlKind::hello);
  ControlMessage digest = next_heard(ControlKind::digest, "the digest for hello");
  EXPECT_TRUE(digest.topics.at("room:1").as_object().contains("alice"));
  say(ControlKind::sync, 0, kSelf);
  next_heard(ControlKind::digest, "the digest for the sync");
  EXPECT_EQ(counter(counters_.digests_sent), before + 2);
}

TEST_F(PresenceReplicationTest, AMessageNamingAnotherNodeThanItsSenderOrNotDecodingIsDropped) {
  start(10s);
  say_digest(0, {});
  ControlMessage forged{ControlKind::delta, 3, 1, "room:2", presences({"mallory"}), {}, {}, 0};
  say(forged);  // sealed by node 2, claiming to be node 3
  run_on(reactors_.at(0), [&] { return replication_->on_control(kOther, "{not json"), 0; });
  EXPECT_EQ(counter(counters_.malformed), 2u);
  EXPECT_TRUE(list(1, "room:2").empty()) << "nothing of them was applied";
}

TEST_F(PresenceReplicationTest, ASilentNodeIsDeclaredDownAndItsPresencesLeave) {
  start(50ms, 300ms);
  watch("room:2");
  say_digest(0, {});
  say_delta(1, "room:2", presences({"bob"}));
  const auto last_heard = Clock::now();
  EXPECT_EQ(sink_.received.next("bob's join").payload.at("joins"), Json(presences({"bob"})));

  EXPECT_EQ(gone_.next("node 2 declared down"), kOther);
  EXPECT_GE(Clock::now() - last_heard, 300ms) << "not before down_after of silence";
  EXPECT_EQ(counter(counters_.nodes_down), 1u);
  for (unsigned i : {0u, 1u}) EXPECT_TRUE(list(i, "room:2").empty()) << "reactor " << i;
  Broadcast diff = sink_.received.next("bob's leave");
  EXPECT_EQ(diff.event, "presence_diff");
  EXPECT_EQ(diff.payload.at("leaves"), Json(presences({"bob"})));
}

TEST_F(PresenceReplicationTest, AByeRemovesTheNodeAtOnce) {
  start(10s, 300ms);
  say_digest(0, {{"room:2", presences({"bob"})}});
  ASSERT_EQ(list(1, "room:2"), presences({"bob"}));
  say(ControlKind::bye);
  EXPECT_EQ(gone_.next("node 2 gone"), kOther);
  EXPECT_TRUE(list(1, "room:2").empty());
  EXPECT_EQ(counter(counters_.nodes_down), 0u) << "it left; it was not declared down";
}

TEST_F(PresenceReplicationTest, DuringARedisOutageNobodyIsDeclaredDownAndTheMissedSequenceIsHealedAfter) {
  start(50ms, 300ms);
  say_digest(0, {{"room:2", presences({"bob"})}});
  redis_.stop();
  downs_.next("node 1's link down");
  track("room:1", "alice");
  // A counter the cluster reactor bumps (no event announces it).
  ASSERT_TRUE(test_support::eventually([&] { return counter(counters_.presence_dropped) != 0; }));
  EXPECT_EQ(counter(counters_.presence_dropped), 1u) << "the delta that could not be published is counted";
  // A negative: no node declared gone over three times down_after without hearing node 2 (nor
  // anyone), waited for on the event itself.
  EXPECT_TRUE(gone_.quiet_for(900ms)) << "an outage of Redis is not the death of every other node";
  EXPECT_EQ(list(1, "room:2"), presences({"bob"}));

  redis_.start();
  ups_.next("node 1's link back");
  const auto back = Clock::now();
  subscribed_.next("node 2 listening again");
  ControlMessage beat = next_heard(ControlKind::heartbeat, "a heartbeat after the outage");
  EXPECT_EQ(beat.seq, 1u) << "the sequence counts the delta that was never sent: node 2 sees the gap";
  say(ControlKind::sync, 0, kSelf);
  ControlMessage digest = next_heard(ControlKind::digest, "the healing digest");
  EXPECT_EQ(digest.seq, 1u);
  EXPECT_TRUE(digest.topics.at("room:1").as_object().contains("alice"));
  // Node 2 itself stays silent: its silence is counted from the links' return.
  EXPECT_EQ(gone_.next("node 2 declared down after all"), kOther);
  EXPECT_GE(Clock::now() - back, 300ms - 50ms);
}

}  // namespace
}  // namespace cohort::cluster
