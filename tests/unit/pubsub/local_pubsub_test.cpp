// local_pubsub_test.cpp — src/pubsub/local_pubsub.hpp on a real net::ReactorSet of 2 reactors:
// exactly-once delivery across reactors, per-publisher order, broadcast_from, unsubscribe,
// thread rules, the encode-once hook and the cluster adapter seam.
#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cohort::pubsub {
namespace {

using namespace std::chrono_literals;
constexpr auto kDeadline = 5s;

// One received broadcast, with the reactor it arrived on.
struct Received {
  std::string topic;
  std::string event;
  Json payload;
  std::string binary;
  int reactor = -1;
  std::shared_ptr<const std::string> frame;
};

// Records broadcasts; any thread may wait for a count with a deadline.
class Recorder : public Subscriber {
 public:
  void on_broadcast(const Broadcast& m) override {
    net::Reactor* r = net::Reactor::current();
    std::lock_guard lock(mutex_);
    received_.push_back({m.topic, m.event, m.payload, m.binary, r ? static_cast<int>(r->index()) : -1, m.frame});
    cv_.notify_all();
  }
  // Waits until at least n broadcasts arrived; false on timeout.
  bool wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kDeadline, [&] { return received_.size() >= n; });
  }
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Received> received_;
};

// A cluster adapter that records what the node tells it.
class FakeAdapter : public PubSubAdapter {
 public:
  void publish(const std::shared_ptr<const Broadcast>& message) override {
    std::lock_guard lock(mutex_);
    published.push_back(message);
  }
  void interest_changed(std::string_view topic, bool interested) override {
    std::lock_guard lock(mutex_);
    interest.emplace_back(std::string(topic), interested);
  }
  void when_subscribed(std::string_view topic, std::function<void()> ready) override {
    std::lock_guard lock(mutex_);
    waiting.emplace_back(std::string(topic), std::move(ready));
  }
  // Plays the cluster confirming every subscription asked about so far (from this thread).
  std::size_t confirm_all() {
    std::vector<std::pair<std::string, std::function<void()>>> w;
    {
      std::lock_guard lock(mutex_);
      w.swap(waiting);
    }
    for (auto& [topic, ready] : w) ready();
    return w.size();
  }
  std::vector<std::pair<std::string, bool>> interest_log() {
    std::lock_guard lock(mutex_);
    return interest;
  }
  std::size_t published_count() {
    std::lock_guard lock(mutex_);
    return published.size();
  }
  std::shared_ptr<const Broadcast> last_published() {
    std::lock_guard lock(mutex_);
    return published.empty() ? nullptr : published.back();
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<const Broadcast>> published;
  std::vector<std::pair<std::string, bool>> interest;
  std::vector<std::pair<std::string, std::function<void()>>> waiting;
};

class LocalPubSubTest : public ::testing::Test {
 protected:
  LocalPubSubTest() : reactors_(2), pubsub_(reactors_) {
    pubsub_.set_encoder([this](const Broadcast& m) {
      encodes_.fetch_add(1);
      return std::make_shared<const std::string>("frame:" + m.topic + ":" + m.event);
    });
    pubsub_.set_adapter(&adapter_);
    reactors_.start();
  }
  ~LocalPubSubTest() override {
    reactors_.stop();
    reactors_.join();
  }

  // Runs fn on reactor i and returns its result (rethrowing its exception), with a deadline.
  template <class Fn>
  auto on(unsigned i, Fn fn) {
    return test_support::run_on(reactors_.at(i), std::move(fn));
  }
  void subscribe(unsigned i, std::string_view topic, Subscriber* s) {
    on(i, [&] { pubsub_.subscribe(topic, s); });
  }
  void unsubscribe(unsigned i, std::string_view topic, Subscriber* s) {
    on(i, [&] { pubsub_.unsubscribe(topic, s); });
  }
  // Every delivery posted before this call has run when it returns: each reactor runs its
  // posted handlers in order, so a no-op posted now runs after them.
  void fence() {
    for (unsigned i = 0; i < reactors_.size(); ++i) on(i, [] {});
  }

  net::ReactorSet reactors_;
  LocalPubSub pubsub_;
  FakeAdapter adapter_;
  std::atomic<int> encodes_{0};
};

TEST_F(LocalPubSubTest, SubscribersOnBothReactorsReceiveABroadcastExactlyOnce) {
  Recorder a0, b0, a1;
  subscribe(0, "room:1", &a0);
  subscribe(0, "room:1", &b0);
  subscribe(1, "room:1", &a1);
  pubsub_.broadcast("room:1", "shout", JsonObject{{"n", 1}});
  ASSERT_TRUE(a0.wait_for(1));
  ASSERT_TRUE(b0.wait_for(1));
  ASSERT_TRUE(a1.wait_for(1));
  fence();
  for (auto* r : {&a0, &b0, &a1}) {
    auto got = r->received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].topic, "room:1");
    EXPECT_EQ(got[0].event, "shout");
    EXPECT_EQ(got[0].payload, Json(JsonObject{{"n", 1}}));
  }
  EXPECT_EQ(a0.received()[0].reactor, 0);
  EXPECT_EQ(b0.received()[0].reactor, 0);
  EXPECT_EQ(a1.received()[0].reactor, 1);
  // Subscribing twice is a no-op: still one copy.
  subscribe(1, "room:1", &a1);
  pubsub_.broadcast("room:1", "again", JsonObject{});
  fence();
  EXPECT_EQ(a1.count(), 2u);
  EXPECT_EQ(on(1, [&] { return pubsub_.local_subscribers("room:1"); }), 1u);
  EXPECT_EQ(on(0, [&] { return pubsub_.local_subscribers("room:1"); }), 2u);
  unsubscribe(0, "room:1", &a0);
  unsubscribe(0, "room:1", &b0);
  unsubscribe(1, "room:1", &a1);
}

TEST_F(LocalPubSubTest, OtherTopicsAreNotDelivered) {
  Recorder a, b;
  subscribe(0, "room:a", &a);
  subscribe(1, "room:b", &b);
  pubsub_.broadcast("room:a", "x", JsonObject{});
  pubsub_.broadcast("room:c", "y", JsonObject{});
  ASSERT_TRUE(a.wait_for(1));
  fence();
  EXPECT_EQ(a.count(), 1u);
  EXPECT_EQ(b.count(), 0u);
  unsubscribe(0, "room:a", &a);
  unsubscribe(1, "room:b", &b);
}

TEST_F(LocalPubSubTest, PerPublisherOrderIsPreservedAtEverySubscriber) {
  constexpr int kCount = 1000;
  Recorder r0, r1;
  subscribe(0, "order", &r0);
  subscribe(1, "order", &r1);
  // Two publishers at once: each one's messages must arrive in its own order.
  auto publish = [&](int tag) {
    for (int i = 0; i < kCount; ++i) pubsub_.broadcast("order", "n", JsonObject{{"tag", tag}, {"i", i}});
  };
  std::thread p1(publish, 1), p2(publish, 2);
  p1.join();
  p2.join();
  ASSERT_TRUE(r0.wait_for(2 * kCount));
  ASSERT_TRUE(r1.wait_for(2 * kCount));
  fence();
  for (auto* r : {&r0, &r1}) {
    auto got = r->received();
    ASSERT_EQ(got.size(), 2u * kCount);
    std::int64_t next[3] = {0, 0, 0};
    for (const auto& m : got) {
      auto tag = m.payload.at("tag").as_int64();
      ASSERT_EQ(m.payload.at("i").as_int64(), next[tag]) << "publisher " << tag;
      ++next[tag];
    }
    EXPECT_EQ(next[1], kCount);
    EXPECT_EQ(next[2], kCount);
  }
  unsubscribe(0, "order", &r0);
  unsubscribe(1, "order", &r1);
}

TEST_F(LocalPubSubTest, BroadcastFromSkipsTheSender) {
  Recorder s0, s1, s2;
  subscribe(0, "t", &s0);
  subscribe(1, "t", &s1);
  subscribe(1, "t", &s2);
  pubsub_.broadcast_from(&s1, "t", "json", JsonObject{});
  pubsub_.broadcast_binary(&s0, "t", "bin", "\x01\x02");
  pubsub_.broadcast_binary(nullptr, "t", "all", "");
  fence();
  auto events = [](Recorder& r) {
    std::vector<std::string> e;
    for (auto& m : r.received()) e.push_back(m.event);
    return e;
  };
  EXPECT_EQ(events(s0), (std::vector<std::string>{"json", "all"}));
  EXPECT_EQ(events(s1), (std::vector<std::string>{"bin", "all"}));
  EXPECT_EQ(events(s2), (std::vector<std::string>{"json", "bin", "all"}));
  EXPECT_EQ(s2.received()[1].binary, "\x01\x02");
  unsubscribe(0, "t", &s0);
  unsubscribe(1, "t", &s1);
  unsubscribe(1, "t", &s2);
}

TEST_F(LocalPubSubTest, NothingArrivesAfterUnsubscribe) {
  Recorder a, b;
  subscribe(0, "t", &a);
  subscribe(1, "t", &b);
  pubsub_.broadcast("t", "before", JsonObject{});
  fence();
  unsubscribe(1, "t", &b);
  EXPECT_EQ(on(1, [&] { return pubsub_.local_subscribers("t"); }), 0u);
  pubsub_.broadcast("t", "after", JsonObject{});
  fence();
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(b.count(), 1u);
  unsubscribe(0, "t", &a);
  pubsub_.broadcast("t", "none", JsonObject{});
  fence();
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(b.count(), 1u);
}

TEST_F(LocalPubSubTest, UnsubscribeRacingAPostedDeliveryDropsIt) {
  // The delivery is queued on reactor 1 behind a task that unsubscribes: it must find no one.
  Recorder b;
  subscribe(1, "t", &b);
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  reactors_.at(1).post([opened] { opened.wait_for(kDeadline); });
  reactors_.at(1).post([&] { pubsub_.unsubscribe("t", &b); });
  pubsub_.broadcast("t", "late", JsonObject{});  // posted to reactor 1 behind the unsubscribe
  gate.set_value();
  fence();
  EXPECT_EQ(b.count(), 0u);
}

TEST_F(LocalPubSubTest, SubscribeOffAReactorThreadThrows) {
  Recorder a;
  EXPECT_THROW(pubsub_.subscribe("t", &a), std::logic_error);
  EXPECT_THROW(pubsub_.unsubscribe("t", &a), std::logic_error);
  EXPECT_THROW((void)pubsub_.local_subscribers("t"), std::logic_error);
  EXPECT_TRUE(adapter_.interest_log().empty());
}

TEST_F(LocalPubSubTest, EncoderRunsOncePerBroadcastWhateverTheSubscriberCount) {
  Recorder a, b, c;
  pubsub_.broadcast("t", "zero", JsonObject{});  // no subscribers (the adapter still gets it)
  EXPECT_EQ(encodes_.load(), 1);
  subscribe(0, "t", &a);
  pubsub_.broadcast("t", "one", JsonObject{});
  EXPECT_EQ(encodes_.load(), 2);
  subscribe(1, "t", &b);
  subscribe(1, "t", &c);
  pubsub_.broadcast("t", "three", JsonObject{});
  EXPECT_EQ(encodes_.load(), 3);
  fence();
  EXPECT_EQ(encodes_.load(), 3);
  // Every subscriber on every reactor shares the one frame.
  auto fa = a.received().back().frame, fb = b.received().back().frame, fc = c.received().back().frame;
  ASSERT_TRUE(fa);
  EXPECT_EQ(*fa, "frame:t:three");
  EXPECT_EQ(fa.get(), fb.get());
  EXPECT_EQ(fa.get(), fc.get());
  EXPECT_EQ(fa.get(), adapter_.last_published()->frame.get());
  unsubscribe(0, "t", &a);
  unsubscribe(1, "t", &b);
  unsubscribe(1, "t", &c);
}

TEST_F(LocalPubSubTest, AdapterSeesLocalBroadcastsButNotRemoteOnes) {
  Recorder a;
  subscribe(1, "t", &a);
  pubsub_.broadcast("t", "local", JsonObject{{"k", 1}});
  EXPECT_EQ(adapter_.published_count(), 1u);
  auto sent = adapter_.last_published();
  EXPECT_EQ(sent->topic, "t");
  EXPECT_EQ(sent->event, "local");
  EXPECT_EQ(sent->payload, Json(JsonObject{{"k", 1}}));
  pubsub_.broadcast_from(&a, "t", "from", JsonObject{});
  pubsub_.broadcast_binary(nullptr, "t", "bin", "b");
  pubsub_.broadcast("elsewhere", "no-local-subscribers", JsonObject{});
  EXPECT_EQ(adapter_.published_count(), 4u);
  EXPECT_EQ(adapter_.last_published()->topic, "elsewhere");

  Broadcast remote;
  remote.topic = "t";
  remote.event = "remote";
  remote.payload = JsonObject{{"r", true}};
  remote.from = &a;  // a remote broadcast cannot name a local subscriber: ignored
  int before = encodes_.load();
  pubsub_.deliver_remote(std::move(remote));
  ASSERT_TRUE(a.wait_for(3));
  fence();
  EXPECT_EQ(adapter_.published_count(), 4u);
  auto got = a.received();
  ASSERT_EQ(got.size(), 3u);  // local, bin, remote ("from" skipped a, its sender)
  EXPECT_EQ(got[0].event, "local");
  EXPECT_EQ(got[1].event, "bin");
  EXPECT_EQ(got[2].event, "remote");
  EXPECT_EQ(got[2].payload, Json(JsonObject{{"r", true}}));
  ASSERT_TRUE(got[2].frame);
  EXPECT_EQ(*got[2].frame, "frame:t:remote");  // encoded here, once
  EXPECT_EQ(encodes_.load(), before + 1);
  unsubscribe(1, "t", &a);
}

TEST_F(LocalPubSubTest, AdapterHearsInterestWhenTheNodeGainsItsFirstAndLosesItsLastSubscriber) {
  using Log = std::vector<std::pair<std::string, bool>>;
  Recorder a, b, c;
  subscribe(0, "t", &a);
  EXPECT_EQ(adapter_.interest_log(), (Log{{"t", true}}));
  subscribe(1, "t", &b);  // another reactor: the node already had interest
  subscribe(0, "t", &c);
  subscribe(0, "t", &c);  // duplicate
  EXPECT_EQ(adapter_.interest_log(), (Log{{"t", true}}));
  unsubscribe(0, "t", &a);
  unsubscribe(0, "t", &c);  // reactor 0 lost its last, reactor 1 still has b
  unsubscribe(0, "t", &c);  // not subscribed: nothing
  EXPECT_EQ(adapter_.interest_log(), (Log{{"t", true}}));
  subscribe(0, "u", &a);
  EXPECT_EQ(adapter_.interest_log(), (Log{{"t", true}, {"u", true}}));
  unsubscribe(1, "t", &b);
  EXPECT_EQ(adapter_.interest_log(), (Log{{"t", true}, {"u", true}, {"t", false}}));
  // Regained from the other reactor.
  subscribe(1, "t", &b);
  unsubscribe(1, "t", &b);
  unsubscribe(0, "u", &a);
  EXPECT_EQ(adapter_.interest_log(),
            (Log{{"t", true}, {"u", true}, {"t", false}, {"t", true}, {"t", false}, {"u", false}}));
}

TEST_F(LocalPubSubTest, WhenSubscribedRunsOnTheSubscribingReactorOnlyOnceTheClusterConfirms) {
  Recorder a;
  std::atomic<int> ready_on{-1};
  on(1, [&] {
    pubsub_.subscribe("t", &a);
    pubsub_.when_subscribed("t", [&] { ready_on = static_cast<int>(net::Reactor::current()->index()); });
  });
  fence();
  EXPECT_EQ(ready_on.load(), -1) << "ready ran before the cluster confirmed";
  EXPECT_EQ(adapter_.confirm_all(), 1u);  // confirmed from this (non-reactor) thread
  fence();
  EXPECT_EQ(ready_on.load(), 1) << "ready runs on the reactor that subscribed";
  unsubscribe(1, "t", &a);
}

TEST(LocalPubSubAlone, WhenSubscribedWithoutAClusterRunsInline) {
  net::ReactorSet reactors(1);
  LocalPubSub pubsub(reactors);
  reactors.start();
  std::promise<bool> inline_result;
  reactors.at(0).post([&] {
    Recorder r;
    bool ran = false;
    pubsub.subscribe("t", &r);
    pubsub.when_subscribed("t", [&] { ran = true; });
    pubsub.unsubscribe("t", &r);
    inline_result.set_value(ran);
  });
  auto f = inline_result.get_future();
  ASSERT_EQ(f.wait_for(kDeadline), std::future_status::ready);
  EXPECT_TRUE(f.get());
  reactors.stop();
  reactors.join();
}

TEST_F(LocalPubSubTest, SubscribeFromInsideADeliveryTakesEffectForLaterBroadcasts) {
  Recorder late;
  class Joiner : public Subscriber {
   public:
    Joiner(LocalPubSub& p, Subscriber& s) : pubsub(p), other(s) {}
    void on_broadcast(const Broadcast&) override {
      pubsub.subscribe("t", &other);
      done.set_value();
    }
    LocalPubSub& pubsub;
    Subscriber& other;
    std::promise<void> done;
  } joiner(pubsub_, late);
  subscribe(0, "go", &joiner);
  auto done = joiner.done.get_future();
  pubsub_.broadcast("go", "now", JsonObject{});
  ASSERT_EQ(done.wait_for(kDeadline), std::future_status::ready);
  pubsub_.broadcast("t", "after", JsonObject{});
  ASSERT_TRUE(late.wait_for(1));
  EXPECT_EQ(late.received()[0].reactor, 0);
  unsubscribe(0, "go", &joiner);
  unsubscribe(0, "t", &late);
}

TEST(LocalPubSubLimits, MoreThan64ReactorsIsRefused) {
  net::ReactorSet many(LocalPubSub::kMaxReactors + 1);
  EXPECT_THROW(LocalPubSub pubsub(many), std::invalid_argument);
  net::ReactorSet enough(LocalPubSub::kMaxReactors);
  EXPECT_NO_THROW(LocalPubSub pubsub(enough));
}

}  // namespace
}  // namespace cohort::pubsub
