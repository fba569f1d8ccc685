// view_instance_test.cpp — src/live/view_instance.* on real reactors with the real services a
// view uses: LocalPubSub, the presence Tracker, LocalStores over a real SQLite file, compiled
// templates. The lv:<id> channel is a fake (FakeChannel: records pushes and crashes, runs
// after() on a real timer of the view's reactor), and the views are small scripted ones.
// Covers: mount and the full render; change tracking (an equal assign is no change) and an
// event answered at once with only what changed (title, hook reply); render batching — many
// messages, at most one diff per frame interval, spaced by it; follow_store filling the dead
// (GET) render without subscribing, then, connected, following patches, locks, a gap and a
// resync by reading the state again; presence followed as a list; send_after; components
// (cids, their own change tracking, events, destroy); a throw outside an event crashing the
// channel and inside one propagating; terminate ending subscriptions, presence, locks and
// timers.
#include "live/view_instance.hpp"

#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <random>
#include <thread>

#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"
#include "store/local_stores.hpp"

namespace cohort::live {
namespace {

using namespace std::chrono_literals;
using test_support::run_on;
using test_support::WaitQueue;
using Clock = std::chrono::steady_clock;

// What a test's view does: each hook may be empty. Runs on the view's reactor.
struct Script {
  std::function<void(Socket&)> mount;
  std::function<void(std::string_view, const Json&, Socket&)> event;
  std::function<void(const Info&, Socket&)> info;
  WaitQueue<std::string> infos;       // "<kind>:<topic>:<event>" of every handle_info
  WaitQueue<std::string> terminated;  // the reasons
};

class ScriptedView final : public View {
 public:
  explicit ScriptedView(Script& s) : s_(s) {}
  void mount(const Params&, const Session&, Socket& socket) override {
    if (s_.mount) s_.mount(socket);
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
class FakeChannel final : public ChannelContext, public std::enable_shared_from_this<FakeChannel> {
 public:
  struct Push {
    std::string event;
    Json payload;
    Clock::time_point at;
  };
  FakeChannel(net::Reactor& reactor, PubSub& pubsub, Presence& presence)
      : reactor_(reactor), pubsub_(pubsub), presence_(presence) {}

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

  void push_binary(std::string_view e, std::string_view) override { unexpected("push_binary", e); }
  void broadcast(std::string_view e, Json) override { unexpected("broadcast", e); }
  void broadcast_from(std::string_view e, Json) override { unexpected("broadcast_from", e); }
  void broadcast_binary(std::string_view e, std::string, bool) override { unexpected("broadcast_binary", e); }
  std::string track(std::string_view k, JsonObject) override { return unexpected("track", k), ""; }
  std::string update_presence(std::string_view k, JsonObject) override { return unexpected("update_presence", k), ""; }
  void untrack(std::string_view k) override { unexpected("untrack", k); }
  void push_presence_state() override { unexpected("push_presence_state", ""); }
  void finish_join(JoinResult) override { unexpected("finish_join", ""); }
  ReplyTo reply_later() override { return unexpected("reply_later", ""), ReplyTo{}; }
  void reply(const ReplyTo&, Reply) override { unexpected("reply", ""); }

  WaitQueue<Push> pushes;
  WaitQueue<std::string> crashes;

 private:
  static void unexpected(const char* what, std::string_view arg) {
    ADD_FAILURE() << "the view called ChannelContext::" << what << "(" << arg << ")";
  }
  net::Reactor& reactor_;
  PubSub& pubsub_;
  Presence& presence_;
  std::string topic_ = "lv:test";
  JsonObject assigns_;
};

// The services of one node's live layer, and one view on reactor 0 of it.
class ViewInstanceTest : public ::testing::Test {
 protected:
  ViewInstanceTest() : reactors_(2) {
    dir_ = std::filesystem::temp_directory_path() / ("cohort-view-instance-" + std::to_string(std::random_device{}()));
    std::string error;
    storage_ = open_sqlite_storage(dir_.string(), error);
    if (!storage_) throw std::runtime_error(error);
    StoreKind board;
    board.name = "t";
    board.initial = JsonObject{{"n", 0}};
    board.ops["set"] = OpSpec{{}, [](const OpRequest& r) {
      return OpResult::change({JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", r.args.at("n")}}});
    }};
    stores_.define(std::move(board));
    stores_.set_storage(storage_.get());
    add_template("counter", "<p>{{count}}</p><b>{{label}}</b>");
    add_template("board", "<p>{{board.n}}</p>");
    add_template("people", "<ul>{{#people}}<li>{{id}}</li>{{/people}}</ul>");
    add_template("parent", "<div>{{@counter item}}</div>");
    add_template("counter_c", "<span>{{n}}/{{own}}</span>");
    for (const auto& e : registry_.templates.link()) ADD_FAILURE() << e.text();
    registry_.frame = 100ms;
    registry_.components["counter"] = ComponentType{"counter_c", [] { return std::make_unique<Counter>(); },
                                                    registry_.templates.find("counter_c")};
    reactors_.start();
  }
  ~ViewInstanceTest() override {
    run_on(view_reactor(), [&] {
      view_.reset();
      channel_.reset();
      return 0;
    });
    reactors_.stop();
    reactors_.join();
    stores_.stop_loading();
    storage_->flush();
    std::filesystem::remove_all(dir_);
  }

  void add_template(const std::string& name, std::string_view source) {
    for (const auto& e : registry_.templates.add(name, source)) ADD_FAILURE() << e.text();
  }
  net::Reactor& view_reactor() { return reactors_.at(0); }

  // Builds the view of template `tmpl` (connected: attached to a FakeChannel) and starts it;
  // returns once it is ready (every followed store answered).
  void mount(const std::string& tmpl, bool connected = true) {
    route_ = ViewRoute{"/" + tmpl, tmpl, "", [this] { return std::make_unique<ScriptedView>(script_); },
                       registry_.templates.find(tmpl)};
    auto ready = std::make_shared<WaitQueue<int>>();
    run_on(view_reactor(), [&] {
      Services services{pubsub_, tracker_, stores_, registry_};
      view_ = std::make_shared<ViewInstance>(services, route_, "v1", JsonObject{{"user", JsonObject{{"id", "u1"}}}});
      if (connected) {
        channel_ = std::make_shared<FakeChannel>(view_reactor(), pubsub_, tracker_);
        view_->attach(*channel_);
      }
      view_->start(JsonObject{}, "/" + tmpl, [ready] { ready->push(1); });
      return 0;
    });
    ready->next("the view ready");
  }
  template <class Fn>
  auto on_view(Fn fn) {
    return run_on(view_reactor(), [&] { return fn(*view_); });
  }
  JsonObject render_full() {
    return on_view([](ViewInstance& v) { return v.render_full(); });
  }
  JsonObject event(std::string name, Json value = JsonObject{}, std::optional<int> cid = {}) {
    return on_view([&](ViewInstance& v) { return v.handle_event(name, value, cid); });
  }
  // The next "diff" pushed to the channel (other pushes are failures).
  FakeChannel::Push next_diff(const std::string& what) {
    FakeChannel::Push p = channel_->pushes.next(what);
    EXPECT_EQ(p.event, "diff");
    return p;
  }
  // Runs an op as server code (a fresh session unless given).
  OpOutcome op(const std::string& key, const std::string& name, Json args, std::uint64_t session = 0,
               std::string actor = "server") {
    auto out = std::make_shared<WaitQueue<OpOutcome>>();
    run_on(reactors_.at(1), [&] {
      stores_.apply(OpCall{key, name, std::move(args), Actor{actor, {}, ""}, session, std::nullopt, ""},
                    [out](OpOutcome o) { out->push(std::move(o)); });
      return 0;
    });
    return out->next("the outcome of " + name);
  }
  StoreView store_view(const std::string& key) {
    auto out = std::make_shared<WaitQueue<StoreView>>();
    run_on(reactors_.at(1), [&] {
      stores_.view(key, std::nullopt, [out](StoreView v) { out->push(std::move(v)); });
      return 0;
    });
    return out->next("the view of " + key);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Storage> storage_;
  net::ReactorSet reactors_;
  pubsub::LocalPubSub pubsub_{reactors_};
  presence::Tracker tracker_{reactors_, pubsub_, 1, 10ms};
  store::LocalStores stores_{reactors_, pubsub_, nullptr};
  Registry registry_;
  ViewRoute route_;
  Script script_;
  std::shared_ptr<FakeChannel> channel_;
  std::shared_ptr<ViewInstance> view_;
};

TEST_F(ViewInstanceTest, AnEventIsAnsweredAtOnceWithOnlyWhatChanged) {
  script_.mount = [](Socket& s) {
    s.assign("count", Json(0));
    s.assign("label", "x");
  };
  script_.event = [](std::string_view e, const Json&, Socket& s) {
    if (e == "inc") s.assign("count", Json(s.get("count").to_number<std::int64_t>() + 1));
    if (e == "same") s.assign("label", "x");
    if (e == "title") s.page_title("Hello");
    if (e == "hook") s.reply(JsonObject{{"ok", true}});
  };
  mount("counter");
  JsonObject tree = render_full();
  EXPECT_EQ(tree.at("0"), "0");
  EXPECT_EQ(tree.at("1"), "x");
  EXPECT_EQ(tree.at("s"), (Json(json::array{"<p>", "</p><b>", "</b>"})));

  EXPECT_EQ(event("inc"), (JsonObject{{"diff", JsonObject{{"0", "1"}}}}));
  EXPECT_EQ(event("same"), JsonObject{}) << "assigning an equal value changes nothing";
  EXPECT_EQ(event("title"), (JsonObject{{"diff", JsonObject{{"t", "Hello"}}}}));
  EXPECT_EQ(event("hook"), (JsonObject{{"diff", JsonObject{{"r", JsonObject{{"ok", true}}}}}}));
  EXPECT_EQ(registry_.stats.events.load(), 4u);
  EXPECT_EQ(channel_->pushes.size(), 0u) << "answers go in the reply, not as pushes";
}

TEST_F(ViewInstanceTest, MessagesRenderAtMostOncePerFrameSpacedByIt) {
  script_.mount = [](Socket& s) {
    s.assign("count", Json(0));
    s.subscribe("news");
  };
  script_.info = [](const Info& i, Socket& s) { s.assign("count", i.payload.at("n")); };
  script_.event = [](std::string_view, const Json&, Socket& s) {
    s.assign("count", Json(s.get("count").to_number<std::int64_t>() + 1));
  };
  mount("counter");
  const auto before_join_render = Clock::now();
  render_full();
  constexpr int kMessages = 200;
  for (int n = 1; n <= kMessages; ++n) pubsub_.broadcast("news", "n", JsonObject{{"n", n}});

  std::vector<FakeChannel::Push> diffs;
  auto shows_all = [&](const FakeChannel::Push& p) {
    const Json* count = p.payload.as_object().if_contains("0");
    return count && *count == Json(std::to_string(kMessages));
  };
  while (diffs.empty() || !shows_all(diffs.back())) diffs.push_back(next_diff("the diff showing every message"));
  EXPECT_LE(diffs.size(), 3u) << kMessages << " messages, a frame or two";
  EXPECT_GE(diffs.front().at - before_join_render, 100ms) << "no diff before a frame after the join's render";
  for (std::size_t i = 1; i < diffs.size(); ++i) EXPECT_GE(diffs[i].at - diffs[i - 1].at, 100ms);
  EXPECT_EQ(registry_.stats.infos.load(), static_cast<std::uint64_t>(kMessages));

  // An event is not batched: its reply carries the diff at once.
  EXPECT_EQ(event("inc"), (JsonObject{{"diff", JsonObject{{"0", Json(std::to_string(kMessages + 1))}}}}));
  EXPECT_EQ(channel_->pushes.size(), 0u);
}

TEST_F(ViewInstanceTest, FollowStoreFillsTheDeadRenderWithoutSubscribing) {
  ASSERT_TRUE(op("t:1", "set", JsonObject{{"n", 7}}).ok);
  script_.mount = [](Socket& s) { s.follow_store("t:1", "board"); };
  mount("board", /*connected=*/false);
  EXPECT_EQ(script_.infos.next("the state"), "store:t:1:state");
  EXPECT_EQ(render_full().at("0"), "7") << "the GET render shows the store's state";
  EXPECT_EQ(on_view([&](ViewInstance&) { return pubsub_.local_subscribers("store:t:1"); }), 0u)
      << "a dead render follows nothing";
  EXPECT_FALSE(on_view([](ViewInstance& v) { return v.connected(); }));
}

TEST_F(ViewInstanceTest, AConnectedViewFollowsPatchesLocksAndReadsTheStateAgainAfterAGapOrResync) {
  ASSERT_TRUE(op("t:1", "set", JsonObject{{"n", 7}}).ok);
  script_.mount = [](Socket& s) { s.follow_store("t:1", "board"); };
  mount("board");
  EXPECT_EQ(script_.infos.next("the state"), "store:t:1:state");
  EXPECT_EQ(render_full().at("0"), "7");

  ASSERT_TRUE(op("t:1", "set", JsonObject{{"n", 8}}).ok);
  EXPECT_EQ(script_.infos.next("the patch"), "store:t:1:patch");
  EXPECT_EQ(next_diff("the patched render").payload, (JsonObject{{"0", "8"}}));

  ASSERT_TRUE(op("t:1", "lock", JsonObject{{"path", "/n"}}, 5, "bob").ok);
  EXPECT_EQ(script_.infos.next("the lock"), "store:t:1:lock");
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.get("board_locks"); }),
            (Json(JsonObject{{"/n", JsonObject{{"holder", "bob"}}}})));
  run_on(reactors_.at(1), [&] { return stores_.end_session("t:1", 5), 0; });
  EXPECT_EQ(script_.infos.next("the unlock"), "store:t:1:unlock");
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.get("board_locks"); }), Json(JsonObject{}));

  // A patch that does not follow the version held (one was missed): the state is read again.
  pubsub_.broadcast("store:t:1", "patch",
                    JsonObject{{"from", 20}, {"to", 21}, {"ops", json::array{JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", 99}}}}});
  EXPECT_EQ(script_.infos.next("the state read again after a gap"), "store:t:1:state");
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.get("board"); }), (Json(JsonObject{{"n", 8}})))
      << "the state as stored, not the stray patch";
  pubsub_.broadcast("store:t:1", "resync", JsonObject{});
  EXPECT_EQ(script_.infos.next("the state read again after resync"), "store:t:1:state");
  ASSERT_TRUE(op("t:1", "set", JsonObject{{"n", 9}}).ok);
  EXPECT_EQ(script_.infos.next("the next patch"), "store:t:1:patch");
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.get("board"); }), (Json(JsonObject{{"n", 9}})));
}

TEST_F(ViewInstanceTest, PresenceIsFollowedAsASortedListAndTimersComeAsInfos) {
  script_.mount = [](Socket& s) {
    s.follow_presence("room", "people");
    s.send_after(50ms, JsonObject{{"tick", 1}});
  };
  mount("people");
  const auto mounted = Clock::now();
  EXPECT_EQ(json::serialize(render_full()).find("<li>"), std::string::npos) << "nobody there yet";
  EXPECT_EQ(script_.infos.next("the timer"), "timer::");
  EXPECT_GE(Clock::now() - mounted, 50ms);

  run_on(reactors_.at(1), [&] {
    std::uint64_t owner = tracker_.new_owner();
    tracker_.track(owner, "room", "zoe", JsonObject{});
    return tracker_.track(owner, "room", "ann", JsonObject{});
  });
  Json people;
  do {
    EXPECT_EQ(script_.infos.next("a presence diff"), "presence:room:presence_diff");
    people = on_view([](ViewInstance& v) { return v.get("people"); });
  } while (people.as_array().size() < 2);
  EXPECT_EQ(people.at(0).at("id"), "ann");
  EXPECT_EQ(people.at(1).at("id"), "zoe");
  EXPECT_EQ(people.at(0).at("count"), 1);
  FakeChannel::Push diff = next_diff("the list rendered");
  EXPECT_NE(json::serialize(diff.payload).find("ann"), std::string::npos) << diff.payload;
}

TEST_F(ViewInstanceTest, ComponentsHaveCidsTheirOwnChangeTrackingAndCanBeDestroyed) {
  script_.mount = [](Socket& s) { s.assign("item", JsonObject{{"id", "a"}, {"n", 1}}); };
  script_.event = [](std::string_view, const Json&, Socket& s) { s.assign("item", JsonObject{{"id", "a"}, {"n", 2}}); };
  mount("parent");
  JsonObject tree = render_full();
  EXPECT_EQ(tree.at("0"), 1) << "the component's slot holds its cid";
  ASSERT_TRUE(tree.at("c").as_object().contains("1"));
  EXPECT_EQ(tree.at("c").at("1").at("0"), "1");
  EXPECT_EQ(tree.at("c").at("1").at("1"), "0");

  JsonObject bumped = event("bump", JsonObject{}, 1);
  EXPECT_EQ(bumped, (JsonObject{{"diff", JsonObject{{"c", JsonObject{{"1", JsonObject{{"1", "1"}}}}}}}}))
      << "only the component's own changed slot";
  JsonObject props = event("props");
  EXPECT_EQ(props, (JsonObject{{"diff", JsonObject{{"c", JsonObject{{"1", JsonObject{{"0", "2"}}}}}}}}))
      << "new props update it in place: same cid";

  EXPECT_EQ(on_view([](ViewInstance& v) { return v.destroy_components(json::array{1, 7}); }), (json::array{1}));
  EXPECT_EQ(event("bump", JsonObject{}, 1), JsonObject{}) << "an event for a destroyed component does nothing";
}

TEST_F(ViewInstanceTest, AThrowOutsideAnEventCrashesTheChannelInsideOneItPropagates) {
  script_.mount = [](Socket& s) {
    s.assign("count", Json(0));
    s.subscribe("boom");
  };
  script_.info = [](const Info&, Socket&) { throw std::runtime_error("broken handler"); };
  script_.event = [](std::string_view, const Json&, Socket&) { throw std::runtime_error("broken event"); };
  mount("counter");
  render_full();
  pubsub_.broadcast("boom", "x", JsonObject{});
  EXPECT_EQ(channel_->crashes.next("the crash"), "broken handler");
  EXPECT_THROW(event("click"), std::runtime_error) << "the channel handles a throwing event itself";
  EXPECT_EQ(channel_->pushes.size(), 0u);
}

TEST_F(ViewInstanceTest, TerminateEndsSubscriptionsPresenceLocksAndTimers) {
  ASSERT_TRUE(op("t:1", "set", JsonObject{{"n", 1}}).ok);
  script_.mount = [](Socket& s) {
    s.assign("count", Json(0));
    s.subscribe("news");
    s.track("room", "me", JsonObject{});
    s.op("t:1", "lock", JsonObject{{"path", "/n"}});
    s.send_after(1s, JsonObject{});  // long: it must come due only after the terminate below
  };
  mount("counter");
  render_full();
  ASSERT_TRUE([&] {
    for (auto deadline = Clock::now() + 5s; Clock::now() < deadline; std::this_thread::sleep_for(5ms))
      if (store_view("t:1").locks.size() == 1) return true;
    return false;
  }()) << "the view's lock is taken";
  EXPECT_EQ(on_view([&](ViewInstance&) { return pubsub_.local_subscribers("news"); }), 1u);

  const auto ended = Clock::now();
  std::vector<std::string> before;  // what the view was told before its end
  on_view([&](ViewInstance& v) {
    while (script_.infos.size() > 0) before.push_back(script_.infos.next("an info"));
    return v.terminate("leave"), 0;
  });
  for (const auto& i : before) ASSERT_NE(i, "timer::") << "the timer came due before the terminate: too slow a run";
  EXPECT_EQ(script_.terminated.next("the view's terminate"), "leave");
  EXPECT_EQ(on_view([&](ViewInstance&) { return pubsub_.local_subscribers("news"); }), 0u);
  EXPECT_TRUE(store_view("t:1").locks.empty()) << "its store session ended";
  ASSERT_TRUE([&] {
    for (auto deadline = Clock::now() + 5s; Clock::now() < deadline; std::this_thread::sleep_for(5ms))
      if (run_on(reactors_.at(1), [&] { return tracker_.list("room").empty(); })) return true;
    return false;
  }()) << "its presence left";
  // The timer set at mount comes due after the end: dropped. A later timer of the channel marks
  // the point by which it would have run.
  auto marker = std::make_shared<WaitQueue<int>>();
  run_on(view_reactor(), [&] { return channel_->after(1100ms, [marker] { marker->push(1); }), 0; });
  marker->next("the marker timer");
  EXPECT_GE(Clock::now() - ended, 1s);
  std::vector<std::string> infos;
  while (script_.infos.size() > 0) infos.push_back(script_.infos.next("an info"));
  for (const auto& i : infos) EXPECT_NE(i, "timer::") << "no timer after terminate";
  EXPECT_EQ(script_.terminated.size(), 0u) << "terminate runs once";
  on_view([](ViewInstance& v) { return v.terminate("closed"), 0; });
  EXPECT_EQ(script_.terminated.size(), 0u);
}

}  // namespace
}  // namespace cohort::live
