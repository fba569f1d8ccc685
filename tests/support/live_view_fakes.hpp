// live_view_fakes.hpp — what a unit test of one live view (tests/unit/live/view_instance_test.cpp)
// puts around it: a scripted View (hooks the test sets, and queues of what it was told), a
// Component, the lv:<id> channel (FakeChannel: records pushes and crashes, runs after() on a
// real timer of the view's reactor, fails the test on anything a view must not call), and
// OutageStores (real stores behind a switch that makes reads answer "unavailable", and one that
// holds ops until the test lets them go). Test code
// only; each runs on the view's reactor unless it says otherwise.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "cohort/channel.hpp"
#include "cohort/live.hpp"
#include "cohort/store.hpp"
#include "net/reactor.hpp"
#include "reactor_support.hpp"
#include "strict_channel_context.hpp"
#include "store/local_stores.hpp"

namespace cohort::live::fakes {

using test_support::WaitQueue;
using Clock = std::chrono::steady_clock;

// What a test's view does: each hook may be empty. Runs on the view's reactor.
struct Script {
  std::function<void(Socket&)> mount;
  std::function<void(const Params&, Socket&)> params;
  std::function<void(std::string_view, const Json&, Socket&)> event;
  std::function<void(const Info&, Socket&)> info;
  WaitQueue<std::string> urls;        // the URL of every handle_params
  WaitQueue<std::string> infos;       // "<kind>:<topic>:<event>" of every handle_info
  WaitQueue<std::string> terminated;  // the reasons
};

class ScriptedView final : public View {
 public:
  explicit ScriptedView(Script& s) : s_(s) {}
  void mount(const Params&, const Session&, Socket& socket) override {
    if (s_.mount) s_.mount(socket);
  }
  void handle_params(const Params& params, std::string_view url, Socket& socket) override {
    s_.urls.push(std::string(url));
    if (s_.params) s_.params(params, socket);
  }
  void handle_event(std::string_view event, const Json& value, Socket& socket) override {
    if (s_.event) s_.event(event, value, socket);
  }
  void handle_info(const Info& info, Socket& socket) override {
    static const char* kinds[] = {"broadcast", "store", "presence", "timer"};
    s_.infos.push(std::string(kinds[static_cast<int>(info.kind)]) + ":" + info.topic + ":" + info.event);
    if (s_.info) s_.info(info, socket);
  }
  void terminate(std::string_view reason, Socket&) override { s_.terminated.push(std::string(reason)); }

 private:
  Script& s_;
};

// A component: its props' "n", and "bump" adds one to its own count.
class Counter final : public Component {
 public:
  void mount(ComponentSocket& socket) override { socket.assign("own", Json(0)); }
  void handle_event(std::string_view event, const Json&, ComponentSocket& socket) override {
    if (event == "bump") socket.assign("own", Json(socket.get("own").to_number<std::int64_t>() + 1));
  }
};

// The lv:<id> channel as the view sees it.
class FakeChannel final : public test_support::StrictChannelContext, public std::enable_shared_from_this<FakeChannel> {
 public:
  struct Push {
    std::string event;
    Json payload;
    Clock::time_point at;
  };
  FakeChannel(net::Reactor& reactor, PubSub& pubsub, Presence& presence)
      : StrictChannelContext("the view"), reactor_(reactor), pubsub_(pubsub), presence_(presence) {}

  // What a view uses; every other call is a failure (StrictChannelContext).
  const std::string& topic() const override { return topic_; }
  const JsonObject& assigns() const override { return assigns_; }
  void push(std::string_view event, Json payload) override {
    pushes.push({std::string(event), std::move(payload), Clock::now()});
  }
  PubSub& pubsub() override { return pubsub_; }
  Presence& presence() override { return presence_; }
  std::weak_ptr<ChannelContext> handle() override { return weak_from_this(); }
  void crash(std::string_view reason) override { crashes.push(std::string(reason)); }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<boost::asio::steady_timer>(reactor_.context(), delay);
    timer->async_wait([timer, self = weak_from_this(), fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec && self.lock()) fn();
    });
  }


  WaitQueue<Push> pushes;
  WaitQueue<std::string> crashes;

 private:
  net::Reactor& reactor_;
  PubSub& pubsub_;
  Presence& presence_;
  std::string topic_ = "lv:test";
  JsonObject assigns_;
};

// The node's stores as a view sees them, except that while `unreachable` is set every read
// answers "unavailable" (on the calling reactor), as ClusterStores does while a key's owner
// cannot be reached. Each read is recorded: "read" as it is asked, "unavailable" as it answers.
class OutageStores final : public Stores {
 public:
  explicit OutageStores(Stores& stores) : stores_(stores) {}

  void define(StoreKind kind) override { stores_.define(std::move(kind)); }
  std::uint64_t new_session() override { return stores_.new_session(); }
  void apply(OpCall call, std::function<void(OpOutcome)> done) override {
    if (!hold_ops) return stores_.apply(std::move(call), std::move(done));
    held_.emplace_back(std::move(call), std::move(done));
    ops_held.push(1);
  }
  // The ops held while hold_ops was set go on to the stores, in order. On the view's reactor.
  void release_ops() {
    hold_ops = false;
    for (auto& [call, done] : std::exchange(held_, {})) stores_.apply(std::move(call), std::move(done));
  }
  void view(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) override {
    if (!unreachable) {
      reads.push("read");
      return stores_.view(std::move(key), since, std::move(done));
    }
    StoreView v;
    v.error = {{"reason", "unavailable"}, {"detail", "the owner of " + key + " cannot be reached"}};
    store::calling_reactor().post([this, done = std::move(done), v = std::move(v)]() mutable {
      reads.push("unavailable");  // before the view hears it: what the test does next comes after
      done(std::move(v));
    });
  }
  void view_existing(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) override {
    stores_.view_existing(std::move(key), since, std::move(done));
  }
  void end_session(std::string key, std::uint64_t session) override { stores_.end_session(std::move(key), session); }
  bool knows(std::string_view key) const override { return stores_.knows(key); }
  const StoreKind* kind_of(std::string_view key) const override { return stores_.kind_of(key); }

  std::atomic<bool> unreachable{false};
  WaitQueue<std::string> reads;
  // While set, ops wait here (as behind an owner that does not answer) until release_ops().
  std::atomic<bool> hold_ops{false};
  WaitQueue<int> ops_held;  // one per op held

 private:
  Stores& stores_;
  std::vector<std::pair<OpCall, std::function<void(OpOutcome)>>> held_;
};

}  // namespace cohort::live::fakes
