// view_instance_test.cpp — src/live/view_instance.* on real reactors with the real services a
// view uses: LocalPubSub, the presence Tracker, LocalStores over a real SQLite file, compiled
// templates. The lv:<id> channel is a fake (FakeChannel: records pushes and crashes, runs
// after() on a real timer of the view's reactor), and the views are small scripted ones
// (tests/support/live_view_fakes.hpp).
// Covers: mount and the full render; change tracking (an equal assign is no change) and an
// event answered at once with only what changed (title, hook reply); render batching — many
// messages, at most one diff per frame interval, spaced by it; follow_store filling the dead
// (GET) render without subscribing, then, connected, following patches, locks, a gap and a
// resync by reading the state again; a store read that failed "unavailable" retried every
// kStoreRetry until it answers (a failed re-read keeps the state shown; an ended view stops);
// presence followed as a list; the view's own presence tracked and updated, and its signed-in
// visitor tracked on the visitors topic, only while connected; send_after; push_patch running
// handle_params (in an event: the reply's live_patch; from a message: a live_patch push and
// its diff), to another view a live navigation, and the client's own patch; streams (inserts,
// deletes, each sent once); an event or patch before the join's full render (no diff: that
// render carries it); components (cids, their own change tracking, events, destroy); a
// throw outside an event crashing the channel and inside one propagating; terminate ending
// subscriptions, presence, locks and timers. Routes are registered in the Registry's views and
// router as Live::install does. Stores a view reads can be put behind OutageStores, which
// answers "unavailable" while the test says so, as ClusterStores does while a key's owner
// cannot be reached.
#include "live/view_instance.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <random>

#include "live_view_fakes.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"
#include "store/local_stores.hpp"

namespace cohort::live {
namespace {

using namespace std::chrono_literals;
using test_support::eventually;
using test_support::run_on;
using test_support::WaitQueue;
using Clock = std::chrono::steady_clock;

using namespace fakes;

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
    add_template("songs",
                 "<ul id=\"songs\" phx-update=\"stream\">{{#stream:songs}}<li id=\"{{dom_id}}\">{{title}}</li>"
                 "{{/stream:songs}}</ul>");
    for (const auto& e : registry_.templates.link()) ADD_FAILURE() << e.text();
    registry_.frame = 100ms;
    registry_.views.reserve(8);  // routes are held by reference: they never move
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
    run_on(reactors_.at(1), [&] { return watches_.clear(), 0; });
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

  // The route of the scripted view with template tmpl at path, registered as Live::install
  // does (once per path).
  const ViewRoute& add_route(const std::string& tmpl, const std::string& path) {
    for (const auto& r : registry_.views)
      if (r.path == path) return r;
    registry_.views.push_back(ViewRoute{path, tmpl, "", [this] { return std::make_unique<ScriptedView>(script_); },
                                        registry_.templates.find(tmpl)});
    if (auto error = registry_.router.add(path, registry_.views.size() - 1)) ADD_FAILURE() << *error;
    return registry_.views.back();
  }
  // Builds a view of template `tmpl` at "/<tmpl>" (connected: attached to a FakeChannel; each
  // view gets an id of its own, "v1", "v2"...) with session_, and starts it; returns once it is
  // ready (every followed store answered). A view mounted before is destroyed first.
  void mount(const std::string& tmpl, bool connected = true) {
    const ViewRoute& route = add_route(tmpl, "/" + tmpl);
    auto ready = std::make_shared<WaitQueue<int>>();
    run_on(view_reactor(), [&] {
      Services services{pubsub_, tracker_, *view_stores_, registry_};
      view_.reset();
      view_ = std::make_shared<ViewInstance>(services, route, "v" + std::to_string(++views_made_), session_);
      if (connected) {
        channel_ = std::make_shared<FakeChannel>(view_reactor(), pubsub_, tracker_);
        view_->attach(*channel_);
      }
      view_->start(JsonObject{}, route.path, [ready] { ready->push(1); });
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
  // An event as the channel sends it: the reply now, or once it has waited for its store ops.
  JsonObject event(std::string name, Json value = JsonObject{}, std::optional<int> cid = {}) {
    auto later = std::make_shared<WaitQueue<JsonObject>>();
    auto now = on_view([&](ViewInstance& v) {
      return v.handle_event(name, value, cid, [later](JsonObject r) { later->push(std::move(r)); });
    });
    return now ? std::move(*now) : later->next("the reply to " + name);
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
  // Every list of topic's presences as reactor 1's replica has it, the current one first.
  std::shared_ptr<WaitQueue<JsonObject>> watch_presence(const std::string& topic) {
    auto lists = std::make_shared<WaitQueue<JsonObject>>();
    run_on(reactors_.at(1), [&] {
      watches_.push_back(tracker_.watch(topic, [lists](const PresenceChange& c) { lists->push(c.list); }));
      return 0;
    });
    return lists;
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
  OutageStores outage_{stores_};
  Stores* view_stores_ = &stores_;  // what the views use (&outage_ to test an outage)
  Registry registry_;
  Script script_;
  JsonObject session_{{"user", JsonObject{{"id", "u1"}}}};  // of the next mount
  int views_made_ = 0;
  std::shared_ptr<FakeChannel> channel_;
  std::shared_ptr<ViewInstance> view_;
  std::vector<PresenceWatch> watches_;  // reactor 1's
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

// The clicking user sees their own change in the reply: an event that changes a followed store
// is answered once the op is done and the view holds its result, not with an empty diff first.
TEST_F(ViewInstanceTest, AnEventThatChangesAFollowedStoreCarriesTheChangeInItsReply) {
  ASSERT_TRUE(op("t:1", "set", JsonObject{{"n", 7}}).ok);
  script_.mount = [](Socket& s) { s.follow_store("t:1", "board"); };
  script_.event = [](std::string_view e, const Json& v, Socket& s) {
    if (e == "set") s.op("t:1", "set", JsonObject{{"n", v.at("n")}}, [](const OpOutcome&) {});
    if (e == "twice")  // an op started by an op's callback is waited for too
      s.op("t:1", "set", JsonObject{{"n", 1}}, [&s](const OpOutcome&) { s.op("t:1", "set", JsonObject{{"n", 2}}, {}); });
    if (e == "refused") s.op("t:1", "no-such-op", JsonObject{}, [&s](const OpOutcome& o) { s.assign("error", o.error); });
  };
  mount("board");
  render_full();

  EXPECT_EQ(event("set", JsonObject{{"n", 8}}), (JsonObject{{"diff", JsonObject{{"0", "8"}}}}));
  EXPECT_EQ(event("twice"), (JsonObject{{"diff", JsonObject{{"0", "2"}}}}));
  EXPECT_EQ(event("refused"), JsonObject{}) << "a refused op changes no followed store: answered when refused";
  EXPECT_EQ(registry_.stats.event_waits.load(), 3u);
  EXPECT_EQ(registry_.stats.event_waits_expired.load(), 0u);
  EXPECT_EQ(channel_->pushes.size(), 0u) << "the change went in the replies, not in pushes";
}

// A reply waits at most Registry::event_wait; what the op changes later is pushed as a diff.
TEST_F(ViewInstanceTest, AnEventsReplyWaitsForItsOpsAtMostTheEventWait) {
  registry_.event_wait = 150ms;
  view_stores_ = &outage_;
  script_.mount = [](Socket& s) { s.follow_store("t:1", "board"); };
  script_.event = [](std::string_view, const Json&, Socket& s) { s.op("t:1", "set", JsonObject{{"n", 5}}, {}); };
  mount("board");
  render_full();
  outage_.hold_ops = true;
  const auto sent = Clock::now();
  EXPECT_EQ(event("set"), JsonObject{}) << "answered without the change the op has not made";
  EXPECT_GE(Clock::now() - sent, 150ms);
  EXPECT_EQ(registry_.stats.event_waits_expired.load(), 1u);
  EXPECT_FALSE(on_view([](ViewInstance& v) { return v.answering(); }));
  outage_.ops_held.next("the op held");
  run_on(view_reactor(), [&] { return outage_.release_ops(), 0; });
  EXPECT_EQ(next_diff("the change, once made").payload, (JsonObject{{"0", "5"}}));
}

TEST_F(ViewInstanceTest, PresenceIsFollowedAsASortedListAndTimersComeAsInfos) {
  script_.mount = [](Socket& s) {
    s.follow_presence("room", "people");
    s.send_after(50ms, JsonObject{{"tick", 1}});
  };
  // Taken before mount(): the timer is armed inside it, so it may fire 50 ms after a point that
  // lies before mount() returns.
  const auto mounting = Clock::now();
  mount("people");
  EXPECT_EQ(json::serialize(render_full()).find("<li>"), std::string::npos) << "nobody there yet";
  EXPECT_EQ(script_.infos.next("the timer"), "timer::");
  EXPECT_GE(Clock::now() - mounting, 50ms);

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
  ASSERT_TRUE(eventually([&] { return store_view("t:1").locks.size() == 1; })) << "the view's lock is taken";
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
  ASSERT_TRUE(eventually([&] { return run_on(reactors_.at(1), [&] { return tracker_.list("room").empty(); }); }))
      << "its presence left";
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

// A view whose handle_params shows the "page" param in its label.
void show_page(const Params& params, Socket& s) {
  const Json* page = params.if_contains("page");
  s.assign("label", page ? *page : Json("none"));
}

TEST_F(ViewInstanceTest, APushPatchInAnEventRunsHandleParamsAndTheReplyCarriesIt) {
  add_route("board", "/other");  // another view
  script_.mount = [](Socket& s) { s.assign("count", Json(0)); };
  script_.params = show_page;
  script_.event = [](std::string_view e, const Json& v, Socket& s) {
    if (e == "page") s.push_patch("/counter?page=" + std::string(v.at("n").as_string()), v.at("replace").as_bool());
    if (e == "away") s.push_patch("/other", false);
    if (e == "navigate") s.push_navigate("/other", true);
  };
  mount("counter");
  EXPECT_EQ(script_.urls.next("handle_params at mount"), "/counter");
  EXPECT_EQ(render_full().at("1"), "none");

  EXPECT_EQ(event("page", JsonObject{{"n", "2"}, {"replace", false}}),
            (JsonObject{{"live_patch", JsonObject{{"to", "/counter?page=2"}, {"kind", "push"}}},
                        {"diff", JsonObject{{"1", "2"}}}}));
  EXPECT_EQ(script_.urls.next("handle_params of the patch"), "/counter?page=2");
  EXPECT_EQ(event("page", JsonObject{{"n", "3"}, {"replace", true}}),
            (JsonObject{{"live_patch", JsonObject{{"to", "/counter?page=3"}, {"kind", "replace"}}},
                        {"diff", JsonObject{{"1", "3"}}}}));
  EXPECT_EQ(script_.urls.next("handle_params of the second patch"), "/counter?page=3");

  EXPECT_EQ(event("away"), (JsonObject{{"live_redirect", JsonObject{{"to", "/other"}, {"kind", "push"}}}}))
      << "a patch to another view's URL becomes a live navigation";
  EXPECT_EQ(event("navigate"), (JsonObject{{"live_redirect", JsonObject{{"to", "/other"}, {"kind", "replace"}}}}));
  EXPECT_EQ(script_.urls.size(), 0u) << "a navigation runs no handle_params here";

  // The client's own patch (a live_patch link).
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.handle_live_patch("/counter?page=5"); }),
            (JsonObject{{"diff", JsonObject{{"1", "5"}}}}));
  EXPECT_EQ(script_.urls.next("handle_params of the client's patch"), "/counter?page=5");
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.handle_live_patch("/other"); }), (JsonObject{{"link_redirect", true}}))
      << "another view's URL: the client must navigate";
  EXPECT_EQ(script_.urls.size(), 0u);
  EXPECT_EQ(channel_->pushes.size(), 0u) << "answers go in the reply, not as pushes";
}

TEST_F(ViewInstanceTest, APushPatchFromAMessageIsPushedThenItsDiff) {
  add_route("board", "/other");
  script_.mount = [](Socket& s) {
    s.assign("count", Json(0));
    s.subscribe("nav");
  };
  script_.params = show_page;
  script_.info = [](const Info& i, Socket& s) { s.push_patch(std::string(i.payload.at("to").as_string())); };
  mount("counter");
  EXPECT_EQ(script_.urls.next("handle_params at mount"), "/counter");
  render_full();

  pubsub_.broadcast("nav", "go", JsonObject{{"to", "/counter?page=7"}});
  FakeChannel::Push patch = channel_->pushes.next("the live_patch");
  EXPECT_EQ(patch.event, "live_patch");
  EXPECT_EQ(patch.payload, (JsonObject{{"to", "/counter?page=7"}, {"kind", "push"}}));
  EXPECT_EQ(script_.urls.next("handle_params of the patch"), "/counter?page=7");
  EXPECT_EQ(next_diff("what handle_params changed").payload, (JsonObject{{"1", "7"}}));

  pubsub_.broadcast("nav", "go", JsonObject{{"to", "/other"}});
  FakeChannel::Push away = channel_->pushes.next("the live_redirect");
  EXPECT_EQ(away.event, "live_redirect");
  EXPECT_EQ(away.payload, (JsonObject{{"to", "/other"}, {"kind", "push"}}));
  EXPECT_EQ(script_.urls.size(), 0u);
}

TEST_F(ViewInstanceTest, StreamInsertsAndDeletesReachTheClientOnceEach) {
  script_.mount = [](Socket& s) {
    s.stream_insert("songs", JsonObject{{"id", 1}, {"title", "One"}});
    s.subscribe("radio");
  };
  script_.event = [](std::string_view e, const Json& v, Socket& s) {
    if (e == "add") s.stream_insert("songs", v, 0, 10);
    if (e == "drop") s.stream_delete("songs", std::string(v.as_string()));
  };
  script_.info = [](const Info& i, Socket& s) { s.stream_insert("songs", i.payload); };
  mount("songs");
  JsonObject tree = render_full();
  EXPECT_EQ(tree.at("0").at("k"), (Json(JsonObject{{"0", JsonObject{{"0", "songs-1"}, {"1", "One"}}}, {"kc", 1}})));
  EXPECT_EQ(tree.at("0").at("stream"), (Json(json::array{"0", json::array{json::array{"songs-1", -1, nullptr, false}},
                                                          json::array{}})));

  EXPECT_EQ(event("add", JsonObject{{"id", 2}, {"title", "Two"}}),
            (JsonObject{{"diff", JsonObject{{"0", JsonObject{
                {"k", JsonObject{{"0", JsonObject{{"0", "songs-2"}, {"1", "Two"}}}, {"kc", 1}}},
                {"stream", json::array{"0", json::array{json::array{"songs-2", 0, 10, false}}, json::array{}}}}}}}}))
      << "only the new item, at the top, the stream capped at 10";
  EXPECT_EQ(event("drop", "songs-1"),
            (JsonObject{{"diff", JsonObject{{"0", JsonObject{{"k", JsonObject{{"kc", 0}}},
                                                             {"stream", json::array{"0", json::array{},
                                                                                    json::array{"songs-1"}}}}}}}}));

  // From a message: within a frame, and nothing sent before is sent again.
  pubsub_.broadcast("radio", "song", JsonObject{{"id", 3}, {"title", "Three"}});
  EXPECT_EQ(next_diff("the streamed song").payload,
            (JsonObject{{"0", JsonObject{
                {"k", JsonObject{{"0", JsonObject{{"0", "songs-3"}, {"1", "Three"}}}, {"kc", 1}}},
                {"stream", json::array{"0", json::array{json::array{"songs-3", -1, nullptr, false}}, json::array{}}}}}}));
}

TEST_F(ViewInstanceTest, ASignedInVisitorIsTrackedOnTheVisitorsTopicOnlyWhileConnected) {
  registry_.visitors_topic = "visitors";
  auto visitors = watch_presence("visitors");
  EXPECT_TRUE(visitors->next("the list at first").empty());
  const JsonObject ann{{"id", "u1"}, {"name", "Ann"}, {"color", "#f00"}, {"roles", json::array{"admin"}}};

  // Changes reach the watcher in order, so the first it sees is the first view that tracked.
  session_ = {{"user", ann}};
  mount("counter", /*connected=*/false);  // v1: the GET render
  session_ = {};
  mount("counter");  // v2: nobody signed in
  session_ = {{"user", JsonObject{{"id", 42}}}};
  mount("counter");  // v3: an id that is not a string
  session_ = {{"user", ann}};
  mount("counter");  // v4
  JsonObject joined = visitors->next("the visitor's join");
  ASSERT_EQ(joined.size(), 1u) << joined;
  const Json& metas = joined.at("u1").at("metas");
  ASSERT_EQ(metas.as_array().size(), 1u);
  const JsonObject& meta = metas.at(0).as_object();
  EXPECT_EQ(meta.at("view"), "v4") << "the only view that tracked its visitor";
  EXPECT_EQ(meta.at("page"), "/counter");
  EXPECT_EQ(meta.at("name"), "Ann");
  EXPECT_EQ(meta.at("color"), "#f00");
  EXPECT_FALSE(meta.contains("roles")) << "only what others may see";

  on_view([](ViewInstance& v) { return v.terminate("leave"), 0; });
  EXPECT_TRUE(visitors->next("the visitor's leave").empty());
}

TEST_F(ViewInstanceTest, AViewTracksAndUpdatesItsOwnPresence) {
  script_.mount = [](Socket& s) {
    s.assign("count", Json(0));
    s.track("room", "me", JsonObject{{"status", "idle"}});
  };
  script_.event = [](std::string_view, const Json&, Socket& s) { s.update_presence("room", "me", JsonObject{{"status", "busy"}}); };
  auto room = watch_presence("room");
  EXPECT_TRUE(room->next("the list at first").empty());
  mount("counter");
  render_full();  // the join's render
  EXPECT_EQ(room->next("the view's join").at("me").at("metas").at(0).at("status"), "idle");
  event("busy");
  JsonObject updated = room->next("the update");
  ASSERT_EQ(updated.at("me").at("metas").as_array().size(), 1u) << "updated in place, not tracked twice";
  EXPECT_EQ(updated.at("me").at("metas").at(0).at("status"), "busy");
}

TEST_F(ViewInstanceTest, AStoreReadThatFailedUnavailableIsRetriedUntilItAnswers) {
  ASSERT_TRUE(op("t:1", "set", JsonObject{{"n", 7}}).ok);
  view_stores_ = &outage_;
  outage_.unreachable = true;
  script_.mount = [](Socket& s) { s.follow_store("t:1", "board"); };
  const auto mounting = Clock::now();
  mount("board");  // ready: a failed first read is an answer too
  EXPECT_EQ(outage_.reads.next("the first read"), "unavailable");
  EXPECT_TRUE(on_view([](ViewInstance& v) { return v.get("board"); }).is_null()) << "nothing to show yet";
  EXPECT_EQ(render_full().at("0"), "");
  EXPECT_EQ(outage_.reads.next("a retry"), "unavailable");
  EXPECT_GE(Clock::now() - mounting, ViewInstance::kStoreRetry) << "not before kStoreRetry";
  outage_.unreachable = false;
  while (outage_.reads.next("the retry that reads") != "read") {
  }
  EXPECT_EQ(script_.infos.next("the state"), "store:t:1:state");
  EXPECT_EQ(next_diff("the state rendered").payload, (JsonObject{{"0", "7"}}));

  // A re-read (after a resync) that fails keeps the state shown, and is retried too.
  outage_.unreachable = true;
  pubsub_.broadcast("store:t:1", "resync", JsonObject{});
  EXPECT_EQ(outage_.reads.next("the re-read"), "unavailable");
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.get("board"); }), (Json(JsonObject{{"n", 7}})));
  outage_.unreachable = false;
  while (outage_.reads.next("the re-read that reads") != "read") {
  }
  EXPECT_EQ(script_.infos.next("the state read again"), "store:t:1:state");

  // An ended view stops retrying.
  outage_.unreachable = true;
  pubsub_.broadcast("store:t:1", "resync", JsonObject{});
  EXPECT_EQ(outage_.reads.next("the last re-read"), "unavailable");
  on_view([](ViewInstance& v) { return v.terminate("leave"), 0; });
  auto marker = std::make_shared<WaitQueue<int>>();
  run_on(view_reactor(), [&] { return channel_->after(3 * ViewInstance::kStoreRetry, [marker] { marker->push(1); }), 0; });
  marker->next("the marker timer, past a few retries");
  EXPECT_EQ(outage_.reads.size(), 0u) << "no read after the end";
}

// A client may push before its join is answered: a join waits for the stores its view follows,
// and the event or patch behind it in the same read reaches the view first. There is no render
// to diff against yet; the join's full render carries what they changed.
TEST_F(ViewInstanceTest, AnEventOrPatchBeforeTheJoinsRenderIsAppliedAndTheFullRenderCarriesIt) {
  script_.mount = [](Socket& s) {
    s.assign("count", Json(0));
    s.assign("label", "none");
  };
  script_.params = show_page;
  script_.event = [](std::string_view, const Json&, Socket& s) {
    s.assign("count", Json(s.get("count").to_number<std::int64_t>() + 1));
  };
  mount("counter");
  EXPECT_EQ(event("inc"), JsonObject{}) << "no diff: nothing was rendered yet";
  EXPECT_EQ(on_view([](ViewInstance& v) { return v.handle_live_patch("/counter?page=4"); }), JsonObject{});
  JsonObject tree = render_full();
  EXPECT_EQ(tree.at("0"), "1");
  EXPECT_EQ(tree.at("1"), "4");
  EXPECT_EQ(event("inc"), (JsonObject{{"diff", JsonObject{{"0", "2"}}}})) << "diffs as usual after it";
}

}  // namespace
}  // namespace cohort::live
