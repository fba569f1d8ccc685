// shared_render_test.cpp — one diff for many views (src/live/shared_render.hpp, view_shared.cpp):
// several views of one page on one reactor, following one store, each with a fake lv:<id>
// channel whose pushes are merged into a ClientTree as the browser client merges them.
// Covers: a store change rendered once and sent to every view (renders_shared counts the
// others), lists included (new entries, a reorder continuing from adopted memory); a view's own
// change in between, then sharing again; a page whose changed slot also reads a per-view assign
// rendered per view (nothing shared, each tree right); a view that assigned the followed state
// itself renders its own; a view's own frame after shared ones continues from the adopted memory;
// every tree always equal to a fresh full render of the same view.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "live/view_instance.hpp"
#include "live_view_fakes.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"
#include "store/local_stores.hpp"
#include "testing/client_tree.hpp"

namespace cohort::live {
namespace {

using namespace std::chrono_literals;
using namespace fakes;
using test_support::run_on;
using test_support::WaitQueue;

class SharedRenderTest : public ::testing::Test {
 protected:
  struct Viewer {
    std::shared_ptr<FakeChannel> channel;
    std::shared_ptr<ViewInstance> view;
    testing::ClientTree tree;
  };

  SharedRenderTest() : reactors_(2) {
    StoreKind kind;
    kind.name = "s";
    kind.initial = JsonObject{{"n", 0}, {"items", json::array{}}};
    kind.ops["set"] = OpSpec{{}, [](const OpRequest& r) {
      return OpResult::change({JsonObject{{"op", "replace"}, {"path", "/" + std::string(r.args.at("at").as_string())},
                                          {"value", r.args.at("value")}}});
    }};
    stores_.define(std::move(kind));
    add_template("shared", "<p>{{board.n}}</p><i>{{label}}</i><ul>{{#board.items}}<li>{{text}}</li>{{/board.items}}</ul>");
    add_template("mixed", "{{#board}}<p>{{n}} for {{label}}</p>{{/board}}");
    for (const auto& e : registry_.templates.link()) ADD_FAILURE() << e.text();
    registry_.frame = 1ms;
    registry_.views.reserve(4);
    reactors_.start();
  }
  ~SharedRenderTest() override {
    run_on(reactors_.at(0), [&] { return viewers_.clear(), 0; });
    reactors_.stop();
    reactors_.join();
  }

  void add_template(const std::string& name, std::string_view source) {
    for (const auto& e : registry_.templates.add(name, source)) ADD_FAILURE() << e.text();
  }
  const ViewRoute& route(const std::string& tmpl) {
    for (const auto& r : registry_.views)
      if (r.path == "/" + tmpl) return r;
    registry_.views.push_back(ViewRoute{"/" + tmpl, tmpl, "", [this] { return std::make_unique<ScriptedView>(script_); },
                                        registry_.templates.find(tmpl)});
    return registry_.views.back();
  }

  // A connected view of tmpl following "s:1" as "board", its "label" assign = label, joined
  // (its full render in its tree).
  Viewer& open(const std::string& tmpl, const std::string& label) {
    const ViewRoute& r = route(tmpl);
    auto ready = std::make_shared<WaitQueue<int>>();
    auto viewer = std::make_unique<Viewer>();
    run_on(reactors_.at(0), [&] {
      Services services{pubsub_, tracker_, stores_, registry_};
      viewer->channel = std::make_shared<FakeChannel>(reactors_.at(0), pubsub_, tracker_);
      viewer->view = std::make_shared<ViewInstance>(services, r, "v" + label,
                                                    JsonObject{{"user", JsonObject{{"id", label}}}, {"label", label}});
      viewer->view->attach(*viewer->channel);
      viewer->view->start(JsonObject{}, r.path, [ready] { ready->push(1); });
      return 0;
    });
    ready->next("the view of " + label + " ready");
    viewer->tree.mount(run_on(reactors_.at(0), [&] { return viewer->view->render_full(); }));
    viewers_.push_back(std::move(viewer));
    return *viewers_.back();
  }
  OpOutcome set(const std::string& at, Json value) {
    auto out = std::make_shared<WaitQueue<OpOutcome>>();
    run_on(reactors_.at(1), [&] {
      stores_.apply(OpCall{"s:1", "set", JsonObject{{"at", at}, {"value", std::move(value)}}, Actor{"server", {}, ""}, 0,
                           std::nullopt, ""},
                    [out](OpOutcome o) { out->push(std::move(o)); });
      return 0;
    });
    return out->next("the outcome of set " + at);
  }
  // The next diff pushed to v, merged into its tree; the tree's HTML.
  std::string next_diff(Viewer& v) {
    FakeChannel::Push p = v.channel->pushes.next("a diff");
    EXPECT_EQ(p.event, "diff");
    v.tree.merge(p.payload.as_object());
    return v.tree.html();
  }
  // The HTML a fresh full render of v's view shows now (what its tree must equal).
  std::string fresh_html(Viewer& v) {
    testing::ClientTree fresh;
    const ViewRoute& r = v.view->route();
    fresh.mount(run_on(reactors_.at(0), [&] {
      Rendering rendering(*r.tmpl);
      return rendering.render_full(v.view->assigns());
    }));
    return fresh.html();
  }
  std::uint64_t shared() const { return registry_.stats.renders_shared.load(); }

  net::ReactorSet reactors_;
  pubsub::LocalPubSub pubsub_{reactors_};
  presence::Tracker tracker_{reactors_, pubsub_, 1, 10ms};
  store::LocalStores stores_{reactors_, pubsub_, nullptr};
  Registry registry_;
  Script script_;
  std::vector<std::unique_ptr<Viewer>> viewers_;  // destroyed on reactor 0
};

TEST_F(SharedRenderTest, AStoreChangeIsRenderedOnceForEveryViewAndEveryTreeStaysRight) {
  script_.mount = [](Socket& s) {
    s.follow_store("s:1", "board");
    s.assign("label", s.session().at("label"));
  };
  script_.event = [](std::string_view, const Json&, Socket& s) { s.assign("label", "renamed"); };
  std::vector<Viewer*> views{&open("shared", "a"), &open("shared", "b"), &open("shared", "c")};
  auto each_shows = [&](const std::string& what, std::uint64_t shared_before) {
    for (Viewer* v : views) {
      std::string html = next_diff(*v);
      EXPECT_NE(html.find(what), std::string::npos) << html;
      EXPECT_EQ(html, fresh_html(*v));
    }
    EXPECT_EQ(shared() - shared_before, views.size() - 1) << "one view rendered, the others sent its diff";
  };

  std::uint64_t before = shared();
  ASSERT_TRUE(set("n", 1).ok);
  each_shows("<p>1</p>", before);
  EXPECT_NE(views[0]->tree.html().find("<i>a</i>"), std::string::npos) << "each keeps its own label";
  EXPECT_NE(views[1]->tree.html().find("<i>b</i>"), std::string::npos);

  before = shared();
  ASSERT_TRUE(set("items", json::array{JsonObject{{"id", 1}, {"text", "x"}}, JsonObject{{"id", 2}, {"text", "y"}}}).ok);
  each_shows("<li>x</li><li>y</li>", before);

  // b's own change: its own diff; the next store change is shared again, from adopted memory.
  JsonObject own = run_on(reactors_.at(0), [&] {
    return views[1]->view->handle_event("rename", JsonObject{}, std::nullopt);
  });
  views[1]->tree.merge(own.at("diff").as_object());
  EXPECT_NE(views[1]->tree.html().find("<i>renamed</i>"), std::string::npos);
  before = shared();
  ASSERT_TRUE(set("items", json::array{JsonObject{{"id", 2}, {"text", "y"}}, JsonObject{{"id", 1}, {"text", "x!"}},
                                       JsonObject{{"id", 3}, {"text", "z"}}})
                  .ok);
  each_shows("<li>y</li><li>x!</li><li>z</li>", before);

  // Each view's next frame is its own (it also changes its label): it goes on from the memory it
  // adopted. n back to 0 is a change for a client that holds 1, though the view rendered 0 itself.
  script_.info = [](const Info&, Socket& s) { s.assign("label", "seen"); };
  before = shared();
  ASSERT_TRUE(set("n", 0).ok);
  for (Viewer* v : views) {
    std::string html = next_diff(*v);
    EXPECT_NE(html.find("<p>0</p>"), std::string::npos) << html;
    EXPECT_EQ(html, fresh_html(*v));
  }
  EXPECT_EQ(shared(), before) << "frames with a change of the view's own are not shared";
}

TEST_F(SharedRenderTest, ASlotThatAlsoReadsAViewsOwnAssignIsRenderedPerView) {
  script_.mount = [](Socket& s) {
    s.follow_store("s:1", "board");
    s.assign("label", s.session().at("label"));
  };
  Viewer& a = open("mixed", "a");
  Viewer& b = open("mixed", "b");
  std::uint64_t before = shared();
  ASSERT_TRUE(set("n", 5).ok);
  EXPECT_EQ(next_diff(a), "<p>5 for a</p>");
  EXPECT_EQ(next_diff(b), "<p>5 for b</p>");
  EXPECT_EQ(shared(), before) << "nothing shared";
}

TEST_F(SharedRenderTest, AViewThatAssignsTheFollowedStateItselfRendersItsOwn) {
  script_.mount = [](Socket& s) {
    s.follow_store("s:1", "board");
    s.assign("label", s.session().at("label"));
  };
  // b writes its own value into the followed assign when the store changes: its diff is its own.
  script_.info = [](const Info& info, Socket& s) {
    if (s.get("label") == Json("b"))
      s.assign("board", JsonObject{{"n", -info.payload.at("n").as_int64()}, {"items", json::array{}}});
  };
  Viewer& a = open("shared", "a");
  Viewer& b = open("shared", "b");
  Viewer& c = open("shared", "c");
  std::uint64_t before = shared();
  ASSERT_TRUE(set("n", 7).ok);
  EXPECT_NE(next_diff(a).find("<p>7</p>"), std::string::npos) << "a";
  EXPECT_NE(next_diff(c).find("<p>7</p>"), std::string::npos) << "c";
  EXPECT_NE(next_diff(b).find("<p>-7</p>"), std::string::npos) << "b";
  EXPECT_EQ(shared(), before + 1) << "a and c share; b renders its own";
  for (Viewer* v : {&a, &b, &c}) EXPECT_EQ(v->tree.html(), fresh_html(*v));
}

}  // namespace
}  // namespace cohort::live
