// tracker_test.cpp — src/presence/tracker.hpp on real reactors: tick merging, cancellation,
// updates, untrack_all, replicas.
#include "presence/tracker.hpp"

#include <gtest/gtest.h>

#include <set>

#include "presence/presence_state.hpp"
#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"

namespace cohort::presence {
namespace {

using namespace std::chrono_literals;

// Collects presence_diff broadcasts from any reactor.
class DiffSink : public Subscriber {
 public:
  void on_broadcast(const Broadcast& m) override { diffs_.push(m.payload.as_object()); }
  JsonObject next() { return diffs_.next("presence_diff"); }

 private:
  test_support::WaitQueue<JsonObject> diffs_;
};

class TrackerTest : public ::testing::Test {
 protected:
  // Runs fn on reactor i and waits for it.
  template <class Fn>
  auto on(unsigned i, Fn fn) {
    return test_support::run_on(reactors_.at(i), std::move(fn));
  }
  TrackerTest() : reactors_(2), pubsub_(reactors_), tracker_(reactors_, pubsub_, 0x01020304, 20ms) {
    reactors_.start();
    on(0, [&] {
      pubsub_.subscribe("room:t", &sink_);
      return 0;
    });
  }
  ~TrackerTest() override {
    on(0, [&] {
      pubsub_.unsubscribe("room:t", &sink_);
      return 0;
    });
    reactors_.stop();
    reactors_.join();
  }
  static std::size_t metas(const JsonObject& side, const char* key) {
    auto* e = side.if_contains(key);
    return e ? e->at("metas").as_array().size() : 0;
  }

  net::ReactorSet reactors_;
  pubsub::LocalPubSub pubsub_;
  Tracker tracker_;
  DiffSink sink_;
};

TEST_F(TrackerTest, JoinsFromTwoReactorsArriveAsOneDiffAndReachEveryReplica) {
  DiffSink sink1;  // a subscriber on reactor 1; sink_ is on reactor 0
  on(1, [&] {
    pubsub_.subscribe("room:t", &sink1);
    return 0;
  });
  on(0, [&] { return tracker_.track(1, "room:t", "alice", {{"d", "laptop"}}); });
  on(1, [&] { return tracker_.track(2, "room:t", "bob", {}); });
  for (unsigned r = 0; r < 2; ++r) {
    DiffSink& sink = r == 0 ? sink_ : sink1;
    JsonObject joins = sink.next().at("joins").as_object();
    // Both tracks were posted within one 20 ms tick of each other, so most runs merge them; if a
    // tick boundary fell between them, the second diff carries bob.
    EXPECT_EQ(metas(joins, "alice"), 1u) << "reactor " << r;
    if (!joins.contains("bob")) {
      EXPECT_EQ(metas(sink.next().at("joins").as_object(), "bob"), 1u) << "reactor " << r;
    }
    // Each reactor updates its replica in the same step that delivers the diff to its
    // subscribers, so a subscriber that saw the diff finds it in its reactor's list.
    JsonObject list = on(r, [&] { return tracker_.list("room:t"); });
    EXPECT_EQ(metas(list, "alice"), 1u) << "reactor " << r;
    EXPECT_EQ(metas(list, "bob"), 1u) << "reactor " << r;
  }
  on(1, [&] {
    pubsub_.unsubscribe("room:t", &sink1);
    return 0;
  });
}

TEST_F(TrackerTest, JoinAndLeaveWithinOneTickCancel) {
  on(1, [&] {
    tracker_.track(7, "room:t", "ghost", {});
    tracker_.untrack(7, "room:t", "ghost");
    tracker_.track(8, "room:t", "marker", {});
    return 0;
  });
  JsonObject diff = sink_.next();
  EXPECT_FALSE(diff.at("joins").as_object().contains("ghost"));
  EXPECT_FALSE(diff.at("leaves").as_object().contains("ghost"));
  EXPECT_EQ(metas(diff.at("joins").as_object(), "marker"), 1u);
}

TEST_F(TrackerTest, UpdateIsAJoinWithPrevRefAndALeaveInOneDiff) {
  std::string first = on(0, [&] { return tracker_.track(3, "room:t", "carol", {{"s", "here"}}); });
  sink_.next();
  std::string second = on(0, [&] { return tracker_.update(3, "room:t", "carol", {{"s", "away"}}); });
  JsonObject diff = sink_.next();
  auto& joined = diff.at("joins").at("carol").at("metas").as_array();
  auto& left = diff.at("leaves").at("carol").at("metas").as_array();
  ASSERT_EQ(joined.size(), 1u);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(ref_of(joined[0]), second);
  EXPECT_EQ(joined[0].at("phx_ref_prev").as_string(), first);
  EXPECT_EQ(joined[0].at("s").as_string(), "away");
  EXPECT_EQ(ref_of(left[0]), first);
}

TEST_F(TrackerTest, UntrackAllLeavesEveryTopicOfTheOwnerOnly) {
  on(1, [&] {
    tracker_.track(5, "room:t", "dave", {});
    tracker_.track(5, "room:t", "dave", {});  // a second tab
    tracker_.track(6, "room:t", "erin", {});
    return 0;
  });
  JsonObject joined = sink_.next();
  EXPECT_EQ(metas(joined.at("joins").as_object(), "dave"), 2u);
  on(1, [&] {
    tracker_.untrack_all(5);
    return 0;
  });
  JsonObject diff = sink_.next();
  EXPECT_EQ(metas(diff.at("leaves").as_object(), "dave"), 2u);
  EXPECT_FALSE(diff.at("leaves").as_object().contains("erin"));
  JsonObject list = on(0, [&] { return tracker_.list("room:t"); });
  EXPECT_FALSE(list.contains("dave"));
  EXPECT_TRUE(list.contains("erin"));
}

TEST_F(TrackerTest, RefsAreUniqueAndCarryTheNodeId) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string ref = tracker_.new_ref();
    ASSERT_EQ(ref.size(), 16u);
    EXPECT_EQ(ref.substr(0, 5), "AQIDB");  // base64url of 01 02 03 04 ...
    seen.insert(ref);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST_F(TrackerTest, CallsOffAReactorThreadAreRefused) {
  EXPECT_THROW(tracker_.track(1, "room:t", "x", {}), std::logic_error);
}

}  // namespace
}  // namespace cohort::presence

namespace cohort::presence {
namespace {

// A topic of more than PresenceShard::kKeysPerTick keys publishes less often: with 2,500 keys,
// a change waits 3 ticks (60 ms here), never less; everything still arrives.
TEST_F(TrackerTest, ABigTopicsTickStretches) {
  on(0, [&] {
    for (int i = 0; i < 2500; ++i) tracker_.track(1, "room:t", "u" + std::to_string(i), JsonObject{});
    return 0;
  });
  std::size_t joined = 0;  // usually one diff (the topic was small when it started to change)
  while (joined < 2500) joined += sink_.next().at("joins").as_object().size();
  EXPECT_EQ(joined, 2500u);
  auto before = std::chrono::steady_clock::now();
  on(1, [&] { return tracker_.track(2, "room:t", "late", JsonObject{}); });
  JsonObject diff = sink_.next();
  auto waited = std::chrono::steady_clock::now() - before;
  EXPECT_EQ(metas(diff.at("joins").as_object(), "late"), 1u);
  EXPECT_GE(waited, 3 * 20ms);
}

}  // namespace
}  // namespace cohort::presence

namespace cohort::presence {
namespace {

// The stretch of a big topic's period is capped by max_stretch (Config::presence_max_stretch):
// tick × min(max_stretch, ceil(keys / 1000)), never less than one tick.
TEST(PresenceShardPeriod, StretchIsCappedByMaxStretch) {
  net::Reactor reactor(0);
  auto none = [](const std::string&, std::shared_ptr<const JsonObject>) {};
  PresenceShard standard(reactor, 20ms, none);
  EXPECT_EQ(standard.period_for(0), 20ms);
  EXPECT_EQ(standard.period_for(1000), 20ms);
  EXPECT_EQ(standard.period_for(1001), 40ms);
  EXPECT_EQ(standard.period_for(2500), 60ms);
  EXPECT_EQ(standard.period_for(1'000'000), 20 * 20ms);  // the default cap: 20 ticks
  PresenceShard never(reactor, 20ms, none, 1);
  EXPECT_EQ(never.period_for(2500), 20ms);
  EXPECT_EQ(never.period_for(1'000'000), 20ms);
  PresenceShard three(reactor, 20ms, none, 3);
  EXPECT_EQ(three.period_for(2500), 60ms);
  EXPECT_EQ(three.period_for(10'000), 60ms);
  PresenceShard zero(reactor, 20ms, none, 0);  // treated as 1
  EXPECT_EQ(zero.period_for(5000), 20ms);
}

// On a Tracker built with max_stretch 1, a 2,500-key topic still publishes each change, and
// every diff still arrives (the default one waits 3 ticks: ABigTopicsTickStretches).
TEST(PresenceShardPeriod, ATrackerWithMaxStretchOneDeliversEverything) {
  net::ReactorSet reactors(1);
  pubsub::LocalPubSub pubsub(reactors);
  Tracker tracker(reactors, pubsub, 1, 5ms, 1);
  DiffSink sink;
  reactors.start();
  auto on = [&](auto fn) {
    std::packaged_task<void()> task(fn);
    auto done = task.get_future();
    reactors.at(0).post([&task] { task(); });
    ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  };
  on([&] {
    pubsub.subscribe("room:big", &sink);
    for (int i = 0; i < 2500; ++i) tracker.track(1, "room:big", "u" + std::to_string(i), JsonObject{});
  });
  std::size_t joined = 0;
  while (joined < 2500) joined += sink.next().at("joins").as_object().size();
  on([&] { tracker.track(2, "room:big", "late", JsonObject{}); });
  EXPECT_TRUE(sink.next().at("joins").as_object().contains("late"));
  on([&] { pubsub.unsubscribe("room:big", &sink); });
  reactors.stop();
  reactors.join();
}

}  // namespace
}  // namespace cohort::presence

// Presence limits (PresenceLimits, docs/security.md): an entry's size, a topic's entries and
// bytes; refused tracks return no phx_ref and are counted; the owner shard holds the bound even
// when tracks race past the replica's view.
namespace cohort::presence {
namespace {

class TrackerLimitsTest : public ::testing::Test {
 protected:
  TrackerLimitsTest()
      : reactors_(2), pubsub_(reactors_),
        tracker_(reactors_, pubsub_, 1, 5ms, PresenceShard::kDefaultMaxStretch,
                 PresenceLimits{.max_entry_bytes = 64, .max_topic_entries = 3, .max_topic_bytes = 1000,
                                .counters = &counters_}) {
    reactors_.start();
    run([&] { pubsub_.subscribe("room:l", &sink_); });
  }
  ~TrackerLimitsTest() override {
    run([&] { pubsub_.unsubscribe("room:l", &sink_); });
    reactors_.stop();
    reactors_.join();
  }
  template <class Fn>
  auto run(Fn fn, unsigned reactor = 0) -> decltype(fn()) {
    return test_support::run_on(reactors_.at(reactor), std::move(fn));
  }
  std::uint64_t refused(net::Limit l) const { return counters_.refusals_of(l); }
  // Waits for diffs until the replica of reactor 0 holds n keys, then until reactor 1's does too
  // (the same diff is posted there separately: a few round trips at most).
  void until_keys(std::size_t n) {
    while (run([&] { return tracker_.list("room:l").size(); }) != n) sink_.next();
    auto deadline = std::chrono::steady_clock::now() + test_support::kReactorDeadline;
    while (run([&] { return tracker_.list("room:l").size(); }, 1) != n)
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "reactor 1's replica never reached " << n << " keys";
  }

  net::LimitCounters counters_;
  net::ReactorSet reactors_;
  pubsub::LocalPubSub pubsub_;
  Tracker tracker_;
  DiffSink sink_;
};

TEST_F(TrackerLimitsTest, AnEntryOverTheSizeIsRefused) {
  // key + serialized meta: "k" + {"s":"<60 x>"} is 1 + 68 bytes, over 64.
  std::string ref = run([&] { return tracker_.track(1, "room:l", "k", {{"s", std::string(60, 'x')}}); });
  EXPECT_EQ(ref, "");
  EXPECT_EQ(refused(net::Limit::presence_meta_bytes), 1u);
  std::string ok = run([&] { return tracker_.track(1, "room:l", "k", {{"s", "here"}}); });
  EXPECT_EQ(ok.size(), 16u);
  until_keys(1);
  EXPECT_EQ(run([&] { return tracker_.update(1, "room:l", "k", {{"s", std::string(60, 'x')}}); }), "");
  EXPECT_EQ(refused(net::Limit::presence_meta_bytes), 2u);
}

TEST_F(TrackerLimitsTest, ATopicPastItsEntriesRefusesAtOnceOnceTheReplicaKnows) {
  for (int i = 0; i < 3; ++i)
    ASSERT_NE(run([&] { return tracker_.track(1, "room:l", "u" + std::to_string(i), {}); }), "");
  until_keys(3);
  // Both reactors' replicas know the topic is full: refused before anything is posted.
  EXPECT_EQ(run([&] { return tracker_.track(2, "room:l", "late", {}); }, 0), "");
  EXPECT_EQ(run([&] { return tracker_.track(3, "room:l", "later", {}); }, 1), "");
  EXPECT_EQ(refused(net::Limit::presence_topic_entries), 2u);
  // A leave makes room.
  run([&] { tracker_.untrack(1, "room:l", "u0"); });
  until_keys(2);
  EXPECT_NE(run([&] { return tracker_.track(2, "room:l", "late", {}); }), "");
  until_keys(3);
}

TEST_F(TrackerLimitsTest, TheOwnerShardHoldsTheBoundWhenTracksRacePastTheReplica) {
  // Five tracks in one handler: the replica has not heard of any of them yet, so all are posted;
  // the owner keeps three and counts two.
  run([&] {
    for (int i = 0; i < 5; ++i) tracker_.track(1, "room:l", "r" + std::to_string(i), {});
  });
  until_keys(3);
  EXPECT_EQ(refused(net::Limit::presence_topic_entries), 2u);
  JsonObject list = run([&] { return tracker_.list("room:l"); });
  EXPECT_TRUE(list.contains("r0") && list.contains("r1") && list.contains("r2"));
}

// Each entry costs key + serialized meta + 48: "bN" + {"s":"<280 z>"} is 2 + 288 bytes, cost
// 338: two fit in 1000 bytes, not three.
TEST(TrackerLimits, ATopicPastItsBytesIsRefused) {
  net::ReactorSet reactors(1);
  pubsub::LocalPubSub pubsub(reactors);
  net::LimitCounters counters;
  Tracker tracker(reactors, pubsub, 1, 5ms, PresenceShard::kDefaultMaxStretch,
                  PresenceLimits{.max_entry_bytes = 400, .max_topic_entries = 100, .max_topic_bytes = 1000,
                                 .counters = &counters});
  DiffSink sink;
  reactors.start();
  auto run = [&](auto fn) { return test_support::run_on(reactors.at(0), fn); };
  run([&] {
    pubsub.subscribe("room:b", &sink);
    return 0;
  });
  std::string meta(280, 'z');
  std::vector<std::string> refs;
  for (int i = 0; i < 3; ++i) refs.push_back(run([&] { return tracker.track(1, "room:b", "b" + std::to_string(i), {{"s", meta}}); }));
  EXPECT_NE(refs[0], "");
  EXPECT_NE(refs[1], "");
  // The third was refused at once (if the replica already held the first two) or posted and
  // dropped by the owner, before the tick that publishes the first two: counted either way.
  while (run([&] { return tracker.list("room:b").size(); }) < 2) sink.next();
  EXPECT_EQ(counters.refusals_of(net::Limit::presence_topic_bytes), 1u);
  EXPECT_FALSE(run([&] { return tracker.list("room:b"); }).contains("b2"));
  run([&] {
    pubsub.unsubscribe("room:b", &sink);
    return 0;
  });
  reactors.stop();
  reactors.join();
}

}  // namespace
}  // namespace cohort::presence
