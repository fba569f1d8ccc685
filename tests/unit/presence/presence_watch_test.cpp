// presence_watch_test.cpp — Presence::watch (cohort/presence.hpp) on real reactors: the first
// call shows the current list, then each change arrives as its joins and leaves with the list
// after it, on the watching reactor; releasing the handle (there or from another thread) stops
// the calls.
#include <gtest/gtest.h>

#include <optional>

#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"

namespace cohort::presence {
namespace {

using namespace std::chrono_literals;

// A copy of one PresenceChange, plus the reactor it was delivered on.
struct Seen {
  JsonObject list, joins, leaves;
  bool initial = false;
  net::Reactor* reactor = nullptr;
};

// Collects the calls of one watcher, from whichever thread.
class Recorder {
 public:
  PresenceWatcher fn() {
    return [this](const PresenceChange& c) {
      seen_.push(Seen{c.list, c.joins, c.leaves, c.initial, net::Reactor::current()});
    };
  }
  Seen next() { return seen_.next("watcher call"); }
  std::size_t pending() { return seen_.size(); }

 private:
  test_support::WaitQueue<Seen> seen_;
};

class PresenceWatchTest : public ::testing::Test {
 protected:
  // Runs fn on reactor i and waits for it (also a barrier: every handler posted there before has run).
  template <class Fn>
  auto on(unsigned i, Fn fn) {
    return test_support::run_on(reactors_.at(i), std::move(fn));
  }
  PresenceWatchTest() : reactors_(2), pubsub_(reactors_), tracker_(reactors_, pubsub_, 7, 20ms) { reactors_.start(); }
  ~PresenceWatchTest() override {
    on(1, [&] {
      watch_.reset();
      witness_.reset();
      return 0;
    });
    reactors_.stop();
    reactors_.join();
  }
  static std::size_t metas(const JsonObject& side, const char* key) {
    auto* e = side.if_contains(key);
    return e ? e->at("metas").as_array().size() : 0;
  }
  static std::string ref(const JsonObject& side, const char* key) {
    return std::string(side.at(key).at("metas").at(0).at("phx_ref").as_string());
  }
  // Tracks key on topic from reactor 0 as owner, and returns its phx_ref.
  std::string track(std::uint64_t owner, const char* key, JsonObject meta = {}) {
    return on(0, [&] { return tracker_.track(owner, "room:w", key, std::move(meta)); });
  }

  net::ReactorSet reactors_;
  pubsub::LocalPubSub pubsub_;
  Tracker tracker_;
  PresenceWatch watch_, witness_;
};

TEST_F(PresenceWatchTest, FirstTheCurrentListThenEachJoinUpdateAndLeave) {
  Recorder early;  // watches the topic before anything is tracked
  on(1, [&] { return (witness_ = tracker_.watch("room:w", early.fn()), 0); });
  Seen empty = early.next();
  EXPECT_TRUE(empty.initial);
  EXPECT_TRUE(empty.list.empty());
  std::string alice = track(1, "alice", {{"s", "here"}});
  EXPECT_EQ(metas(early.next().joins, "alice"), 1u);  // alice is now in reactor 1's replica

  Recorder w;
  on(1, [&] { return (watch_ = tracker_.watch("room:w", w.fn()), 0); });
  Seen first = w.next();
  EXPECT_TRUE(first.initial);
  EXPECT_EQ(first.reactor, &reactors_.at(1));
  EXPECT_EQ(ref(first.list, "alice"), alice);
  EXPECT_TRUE(first.joins.empty() && first.leaves.empty());

  std::string bob = track(2, "bob");
  Seen joined = w.next();
  EXPECT_FALSE(joined.initial);
  EXPECT_EQ(joined.reactor, &reactors_.at(1));
  EXPECT_EQ(ref(joined.joins, "bob"), bob);
  EXPECT_TRUE(joined.leaves.empty());
  EXPECT_EQ(metas(joined.list, "alice"), 1u);
  EXPECT_EQ(metas(joined.list, "bob"), 1u);

  std::string away = on(0, [&] { return tracker_.update(1, "room:w", "alice", {{"s", "away"}}); });
  Seen updated = w.next();  // one call: the join of the new meta and the leave of the old one
  EXPECT_EQ(ref(updated.joins, "alice"), away);
  EXPECT_EQ(updated.joins.at("alice").at("metas").at(0).at("phx_ref_prev").as_string(), alice);
  EXPECT_EQ(ref(updated.leaves, "alice"), alice);
  EXPECT_EQ(metas(updated.list, "alice"), 1u);
  EXPECT_EQ(updated.list.at("alice").at("metas").at(0).at("s").as_string(), "away");

  on(0, [&] { return (tracker_.untrack(2, "room:w", "bob"), 0); });
  Seen left = w.next();
  EXPECT_EQ(ref(left.leaves, "bob"), bob);
  EXPECT_TRUE(left.joins.empty());
  EXPECT_FALSE(left.list.contains("bob"));
  EXPECT_EQ(w.pending(), 0u);
}

TEST_F(PresenceWatchTest, ReleasingTheHandleStopsTheCalls) {
  Recorder w, witness;
  on(1, [&] {
    watch_ = tracker_.watch("room:w", w.fn());
    witness_ = tracker_.watch("room:w", witness.fn());  // called after w for every change
    return 0;
  });
  w.next();
  witness.next();
  track(1, "alice");
  EXPECT_EQ(metas(w.next().joins, "alice"), 1u);
  witness.next();

  on(1, [&] { return (watch_.reset(), 0); });  // on the watching reactor
  EXPECT_FALSE(watch_);
  track(2, "bob");
  EXPECT_EQ(metas(witness.next().joins, "bob"), 1u);
  on(1, [] { return 0; });  // the handler that told the witness has finished
  EXPECT_EQ(w.pending(), 0u) << "a released watcher was called";

  witness_.reset();  // from the test thread: the removal is posted to reactor 1
  on(1, [] { return 0; });
  Recorder last;
  on(1, [&] { return (watch_ = tracker_.watch("room:w", last.fn()), 0); });
  last.next();
  track(3, "carol");
  EXPECT_EQ(metas(last.next().joins, "carol"), 1u);
  on(1, [] { return 0; });
  EXPECT_EQ(witness.pending(), 0u) << "a watcher released from another thread was called";
}

TEST_F(PresenceWatchTest, AWatcherThatThrowsDoesNotStopTheOthers) {
  Recorder w;
  on(1, [&] {
    witness_ = tracker_.watch("room:w", [](const PresenceChange& c) {
      if (!c.initial) throw std::runtime_error("watcher bug (expected by the test)");
    });
    watch_ = tracker_.watch("room:w", w.fn());
    return 0;
  });
  w.next();
  track(1, "alice");
  EXPECT_EQ(metas(w.next().joins, "alice"), 1u);
}

TEST_F(PresenceWatchTest, WatchOffAReactorThreadIsRefused) {
  EXPECT_THROW(tracker_.watch("room:w", [](const PresenceChange&) {}), std::logic_error);
}

}  // namespace
}  // namespace cohort::presence
