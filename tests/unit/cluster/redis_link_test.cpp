// redis_link_test.cpp — src/cluster/redis_link.* against a real redis-server of its own
// (started on a free loopback port, stopped at the end): commands and replies, SUBSCRIBE and
// messages, UNSUBSCRIBE and SUBSCRIBE of one channel in one write (a topic's last local
// subscriber leaving as a new one joins), and reconnecting after Redis goes away and comes
// back; and AUTH — a password (requirepass) or a Redis 6 ACL user — on every connection,
// reconnects included, with a refusal reported and retried, never a link up unauthenticated.
// Every wait has a deadline.
#include "cluster/redis_link.hpp"

#include <gtest/gtest.h>

#include "reactor_support.hpp"
#include "redis_server.hpp"

#include <chrono>
#include <future>
#include <thread>

namespace cohort::cluster {
namespace {

using namespace std::chrono_literals;
constexpr auto kDeadline = 5s;

using test_support::free_port;
using test_support::RedisServer;

class RedisLinkTest : public ::testing::Test {
 protected:
  RedisLinkTest() : port_(free_port()), redis_(port_), reactors_(1) {
    reactors_.start();
    RedisAddress address{"127.0.0.1", port_};
    on_reactor([&] {
      cmd_ = std::make_unique<RedisLink>(reactors_.at(0), RedisLink::Options{.address = address});
      sub_ = std::make_unique<RedisLink>(reactors_.at(0),
                                         RedisLink::Options{.address = address, .mode = RedisLink::Mode::subscriber});
      for (auto* l : {cmd_.get(), sub_.get()}) {
        l->on_up([this] { ups_.fetch_add(1); });
        l->on_down([this] { downs_.fetch_add(1); });
      }
      sub_->on_message([this](std::string_view channel, std::string_view payload) {
        std::lock_guard lock(mutex_);
        messages_.push_back(std::string(channel) + "=" + std::string(payload));
        cv_.notify_all();
      });
      sub_->on_subscribed([this](std::string_view channel) {
        std::lock_guard lock(mutex_);
        confirmed_.push_back(std::string(channel));
        cv_.notify_all();
      });
      cmd_->start();
      sub_->start();
    });
    wait_for([&] { return ups_.load() == 2; }, "both links up");
  }
  ~RedisLinkTest() override {
    on_reactor([&] {
      cmd_.reset();
      sub_.reset();
    });
    reactors_.stop();
    reactors_.join();
  }

  template <class Fn>
  void on_reactor(Fn fn) {
    test_support::run_on(reactors_.at(0), [&] { fn(); });
  }
  // A command's reply, waited for.
  RedisValue call(std::initializer_list<std::string_view> args) {
    std::vector<std::string> owned(args.begin(), args.end());
    auto reply = std::make_shared<std::promise<RedisValue>>();
    auto got = reply->get_future();
    on_reactor([&] {
      std::vector<std::string_view> views(owned.begin(), owned.end());
      if (!cmd_->command(views, [reply](const RedisValue& v) { reply->set_value(v); }))
        reply->set_value(RedisValue::from(nullptr));
    });
    EXPECT_EQ(got.wait_for(kDeadline), std::future_status::ready);
    return got.get();
  }
  template <class Pred>
  void wait_for(Pred pred, const char* what) {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!pred()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out waiting for " << what;
      cv_.wait_for(lock, 5ms);
    }
  }
  void subscribe(const std::string& channel, bool on) {
    on_reactor([&] { sub_->subscribe(std::span(&channel, 1), on); });
  }

  std::uint16_t port_;
  RedisServer redis_;
  net::ReactorSet reactors_;
  std::unique_ptr<RedisLink> cmd_, sub_;
  std::atomic<int> ups_{0}, downs_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> messages_;
  std::vector<std::string> confirmed_;  // channels Redis confirmed subscribing
};

TEST_F(RedisLinkTest, CommandsForLeasesAndFencing) {
  EXPECT_EQ(call({"SET", "lease", "node-1", "NX", "PX", "5000"}).kind, RedisValue::Kind::status);
  EXPECT_EQ(call({"SET", "lease", "node-2", "NX", "PX", "5000"}).kind, RedisValue::Kind::nil);  // held
  auto fence = call({"INCR", "fence"});
  EXPECT_EQ(fence.kind, RedisValue::Kind::integer);
  EXPECT_EQ(call({"INCR", "fence"}).integer, fence.integer + 1);
  auto eval = call({"EVAL", "return {KEYS[1], ARGV[1]}", "1", "k", std::string_view("a\0b", 3)});
  ASSERT_EQ(eval.kind, RedisValue::Kind::array);
  ASSERT_EQ(eval.elements.size(), 2u);
  EXPECT_EQ(eval.elements[1].str, std::string("a\0b", 3));
  auto err = call({"INCR", "lease"});
  EXPECT_EQ(err.kind, RedisValue::Kind::error);
  EXPECT_TRUE(err.failed());
}

TEST_F(RedisLinkTest, EachSubscribedChannelIsConfirmedAndAPublishAfterTheConfirmationIsHeard) {
  // The barrier a channel join waits on (RedisPubSubAdapter::when_subscribed): once Redis has
  // confirmed a channel, a PUBLISH to it counts this link as a receiver, every time.
  std::vector<std::string> channels{"a", "b", "c"};
  on_reactor([&] { sub_->subscribe(channels, true); });
  wait_for([&] { return confirmed_.size() == 3; }, "three confirmations");
  EXPECT_EQ(confirmed_, channels);
  for (const auto& c : channels) EXPECT_EQ(call({"PUBLISH", c, "x"}).integer, 1) << c;
  wait_for([&] { return messages_.size() == 3; }, "the three messages");
}

TEST_F(RedisLinkTest, MessagesReachTheSubscriberEvenAcrossAnUnsubscribeSubscribeRace) {
  subscribe("ch", true);
  wait_for([&] { return confirmed_.size() == 1; }, "the SUBSCRIBE confirmed");
  EXPECT_EQ(call({"PUBLISH", "ch", "first"}).integer, 1);
  wait_for([&] { return !messages_.empty(); }, "the first message");
  EXPECT_EQ(messages_.front(), "ch=first");
  // The last local subscriber leaves and a new one comes in the same instant: UNSUBSCRIBE and
  // SUBSCRIBE leave in one write, and the UNSUBSCRIBE's reply arrives after the new SUBSCRIBE
  // was sent. hiredis keeps the channel's callback through that (pending_subs, since 0.14.1);
  // hiredis releases without it would drop every later message of the channel.
  // Each round waits for the new SUBSCRIBE's confirmation, then publishes once: that one
  // message must arrive, and nothing else.
  for (int round = 0; round < 20; ++round) {
    std::size_t confirmed_before, before;
    {
      std::lock_guard lock(mutex_);
      confirmed_before = confirmed_.size();
      before = messages_.size();
    }
    on_reactor([&] {
      std::string ch = "ch";
      sub_->subscribe(std::span(&ch, 1), false);
      sub_->subscribe(std::span(&ch, 1), true);
    });
    wait_for([&] { return confirmed_.size() > confirmed_before; }, "the new SUBSCRIBE confirmed");
    std::string payload = "round-" + std::to_string(round);
    EXPECT_EQ(call({"PUBLISH", "ch", payload}).integer, 1) << payload;
    wait_for([&] { return messages_.size() > before; }, "a message after unsubscribe + subscribe");
    std::lock_guard lock(mutex_);
    ASSERT_EQ(messages_.size(), before + 1);
    EXPECT_EQ(messages_.back(), "ch=" + payload);
  }
}

TEST_F(RedisLinkTest, RedisGoneThenBackReconnectsAndRefusesMeanwhile) {
  redis_.stop();
  wait_for([&] { return downs_.load() == 2; }, "both links down");
  bool sent = true;
  on_reactor([&] { sent = cmd_->command({"PING"}); });
  EXPECT_FALSE(sent);
  redis_.start();
  wait_for([&] { return ups_.load() == 4; }, "both links up again");
  EXPECT_EQ(call({"PING"}).str, "PONG");
}

// ---- AUTH ----------------------------------------------------------------------------------

constexpr std::string_view kPassword = "link-test-password";
constexpr std::string_view kAclPassword = "acl-user-password";

// A Redis that wants a password, and has an ACL user "cohort" besides; links made on demand.
class RedisAuthTest : public ::testing::Test {
 protected:
  RedisAuthTest()
      : port_(free_port()),
        redis_(port_, {"--requirepass", std::string(kPassword), "--user", "cohort", "on",
                       ">" + std::string(kAclPassword), "~*", "&*", "+@all"}),
        reactors_(1) {
    reactors_.start();
  }
  ~RedisAuthTest() override {
    run([&] { links_.clear(); });
    reactors_.stop();
    reactors_.join();
  }

  template <class Fn>
  void run(Fn fn) {
    test_support::run_on(reactors_.at(0), [&] { fn(); });
  }
  // A started link authenticating as auth; returns its index.
  std::size_t link(RedisAuth auth, RedisLink::Mode mode = RedisLink::Mode::command) {
    std::size_t i = 0;
    run([&] {
      RedisLink::Options o{.address = {"127.0.0.1", port_}, .auth = std::move(auth), .mode = mode};
      o.backoff_max = 200ms;  // refusals retried quickly: the test counts them
      links_.push_back(std::make_unique<RedisLink>(reactors_.at(0), o));
      i = links_.size() - 1;
      links_[i]->on_up([this] { ups_.fetch_add(1); });
      links_[i]->on_refused([this](std::string_view reason) {
        std::lock_guard lock(mutex_);
        refusals_.emplace_back(reason);
        cv_.notify_all();
      });
      links_[i]->start();
    });
    return i;
  }
  RedisValue call(std::size_t i, std::initializer_list<std::string_view> args) {
    std::vector<std::string> owned(args.begin(), args.end());
    auto reply = std::make_shared<std::promise<RedisValue>>();
    auto got = reply->get_future();
    run([&] {
      std::vector<std::string_view> views(owned.begin(), owned.end());
      if (!links_[i]->command(views, [reply](const RedisValue& v) { reply->set_value(v); }))
        reply->set_value(RedisValue::from(nullptr));
    });
    EXPECT_EQ(got.wait_for(kDeadline), std::future_status::ready);
    return got.get();
  }
  template <class Pred>
  void wait_for(Pred pred, const char* what) {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (!pred()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "timed out waiting for " << what;
      cv_.wait_for(lock, 5ms);
    }
  }

  std::uint16_t port_;
  RedisServer redis_;
  net::ReactorSet reactors_;
  std::vector<std::unique_ptr<RedisLink>> links_;  // reactor only
  std::atomic<int> ups_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> refusals_;
};

TEST_F(RedisAuthTest, APasswordLinkIsUpAuthenticatedAndAuthenticatesAgainAfterARestart) {
  std::size_t cmd = link({"", std::string(kPassword)});
  wait_for([&] { return ups_.load() == 1; }, "the link up");
  EXPECT_EQ(call(cmd, {"SET", "k", "v"}).kind, RedisValue::Kind::status);  // NOAUTH if it were not
  redis_.stop();
  redis_.start();  // a new Redis: nothing of the old connection's AUTH survives
  wait_for([&] { return ups_.load() == 2; }, "the link up again");
  EXPECT_EQ(call(cmd, {"PING"}).str, "PONG");
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(refusals_.empty());
}

TEST_F(RedisAuthTest, AnAclUserLinkSubscribesAndHearsMessages) {
  std::size_t cmd = link({"cohort", std::string(kAclPassword)});
  std::size_t sub = link({"cohort", std::string(kAclPassword)}, RedisLink::Mode::subscriber);
  std::atomic<int> heard{0};
  run([&] {
    links_[sub]->on_subscribed([&](std::string_view) { heard.fetch_add(1); });
    links_[sub]->on_message([&](std::string_view, std::string_view payload) {
      if (payload == "hello") heard.fetch_add(10);
    });
  });
  wait_for([&] { return ups_.load() == 2; }, "both links up");
  EXPECT_EQ(call(cmd, {"ACL", "WHOAMI"}).str, "cohort");
  std::string channel = "ch";
  run([&] { links_[sub]->subscribe(std::span(&channel, 1), true); });
  wait_for([&] { return heard.load() == 1; }, "the SUBSCRIBE confirmed");
  EXPECT_EQ(call(cmd, {"PUBLISH", "ch", "hello"}).integer, 1);
  wait_for([&] { return heard.load() == 11; }, "the message");
}

TEST_F(RedisAuthTest, AWrongPasswordIsRefusedReportedAndRetriedNeverUp) {
  std::size_t bad = link({"", "not-the-password"});
  std::size_t none = link({"cohort", "also-wrong"});
  wait_for([&] { return refusals_.size() >= 4; }, "several refusals (each retry is refused again)");
  EXPECT_EQ(ups_.load(), 0);
  run([&] {
    EXPECT_FALSE(links_[bad]->connected());
    EXPECT_FALSE(links_[none]->connected());
    EXPECT_GE(links_[bad]->counters().auth_refused + links_[none]->counters().auth_refused, 4u);
  });
  std::lock_guard lock(mutex_);
  for (const auto& r : refusals_) {
    EXPECT_TRUE(r.starts_with("WRONGPASS")) << r;
    EXPECT_EQ(r.find("not-the-password"), std::string::npos) << r;
  }
}

TEST_F(RedisAuthTest, NoPasswordMeansNoAuthAndRedisSaysNoauth) {
  std::size_t anon = link({});
  wait_for([&] { return ups_.load() == 1; }, "the link up (Redis accepts the connection)");
  auto r = call(anon, {"GET", "k"});
  EXPECT_EQ(r.kind, RedisValue::Kind::error);
  EXPECT_TRUE(r.str.starts_with("NOAUTH")) << r.str;
}

}  // namespace
}  // namespace cohort::cluster
