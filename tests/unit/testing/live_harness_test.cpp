// live_harness_test.cpp — LiveHarness and Page (cohort/testing.hpp) as an app's test uses them:
// a view mounted as a user, clicks, forms, keys and hooks by selector, the HTML read back,
// store patches, broadcasts, presence and timers delivered, components and streams, and
// navigation. The harness's own guarantees are pinned too: the HTML is the client's tree
// (the mount's render plus every diff), so a view that forgets to send a change shows the old
// HTML, as a browser would; and a page that saw many changes shows what a fresh mount shows.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "cohort/patch.hpp"
#include "cohort/testing.hpp"

namespace {

using namespace std::chrono_literals;
using cohort::Json;
using cohort::JsonObject;
using cohort::live::Info;
using cohort::live::Params;
using cohort::live::Session;
using cohort::live::Socket;
namespace t = cohort::testing;
namespace patch = cohort::patch;

// A counter. "forgotten" is the bug the harness must show: the view changes its own member and
// never assigns it, so the client never hears of it. A tick timer counts while it runs.
class Counter final : public cohort::live::View {
 public:
  void mount(const Params&, const Session&, Socket& s) override {
    s.assign("count", Json(0));
    s.assign("forgotten", Json(forgotten_));
    s.assign("ticks", Json(0));
    if (s.connected()) s.send_after(1000ms, Json("tick"));
  }
  void handle_event(std::string_view event, const Json& value, Socket& s) override {
    auto count = s.get("count").to_number<std::int64_t>();
    if (event == "inc") {
      s.assign("count", Json(count + 1));
      ++forgotten_;  // the bug: not assigned
    }
    if (event == "add") s.assign("count", Json(count + std::stoi(std::string(value.at("by").as_string()))));
    if (event == "go") s.push_patch("/counter?page=2");
    if (event == "hook") s.reply(JsonObject{{"echo", value}});
    if (event == "boom") throw std::runtime_error("boom in handle_event");
    if (event == "saved") s.put_flash("info", "Saved.");
    if (event == "saved-and-away") {
      s.put_flash("info", "Saved, see page 9.");
      s.push_navigate("/counter?page=9");
    }
  }
  void handle_params(const Params& params, std::string_view, Socket& s) override {
    if (params.contains("page")) s.page_title("Page " + std::string(params.at("page").as_string()));
  }
  void handle_info(const Info& info, Socket& s) override {
    if (info.kind != Info::Kind::timer) return;
    s.assign("ticks", Json(s.get("ticks").to_number<std::int64_t>() + 1));
    s.send_after(1000ms, Json("tick"));
  }

 private:
  int forgotten_ = 0;
};

// A shared list in store "todo:main", a draft, a component, a stream, presence and a topic.
class Todo final : public cohort::live::View {
 public:
  void mount(const Params&, const Session&, Socket& s) override {
    s.assign("draft", "");
    s.assign("target", "");
    s.assign("shout", "");
    s.assign("badge", JsonObject{{"id", "b1"}, {"label", "Mine"}});
    s.follow_store("todo:main", "todo");
    s.follow_presence("room:todo", "online");
    s.subscribe("room:todo");
    if (s.connected()) s.track("room:todo", s.actor().id, JsonObject{});
  }
  void handle_event(std::string_view event, const Json& value, Socket& s) override {
    if (event == "typing") {
      s.assign("draft", value.at("item").at("title"));
      s.assign("target", cohort::json::serialize(value.at("_target")));
    }
    if (event == "add") {
      const auto& item = value.at("item");
      s.op("todo:main", "add", JsonObject{{"title", item.at("title")}, {"tag", item.at("tag")}});
      s.stream_insert("log", JsonObject{{"id", ++logged_}, {"text", "added " + std::string(item.at("title").as_string())}}, 0, 2);
      s.assign("draft", "");
    }
    if (event == "toggle") s.op("todo:main", "toggle", JsonObject{{"id", value.at("id")}});
  }
  void handle_info(const Info& info, Socket& s) override {
    if (info.kind == Info::Kind::broadcast && info.event == "shout") s.assign("shout", info.payload.at("text"));
  }

 private:
  int logged_ = 0;
};

class Badge final : public cohort::live::Component {
 public:
  void mount(cohort::live::ComponentSocket& s) override { s.assign("clicks", Json(0)); }
  void handle_event(std::string_view event, const Json&, cohort::live::ComponentSocket& s) override {
    if (event == "bump") s.assign("clicks", Json(s.get("clicks").to_number<std::int64_t>() + 1));
  }
};

cohort::StoreKind todo_kind() {
  cohort::StoreKind k;
  k.name = "todo";
  k.initial = JsonObject{{"items", cohort::json::array{}}};
  k.ops["add"] = cohort::OpSpec{{}, [](const cohort::OpRequest& r) {
    auto n = r.state.at("items").as_array().size();
    JsonObject item{{"id", std::to_string(n + 1)}, {"title", r.args.at("title")}, {"tag", r.args.at("tag")}, {"done", false}};
    return cohort::OpResult::change({patch::add("/items/0", std::move(item))});  // newest first: entries move
  }};
  k.ops["toggle"] = cohort::OpSpec{{}, [](const cohort::OpRequest& r) {
    const auto& items = r.state.at("items").as_array();
    for (std::size_t i = 0; i < items.size(); ++i)
      if (items[i].at("id") == r.args.at("id"))
        return cohort::OpResult::change({patch::replace("/items/" + std::to_string(i) + "/done", !items[i].at("done").as_bool())});
    return cohort::OpResult::reject(cohort::Rejection::invalid, {{"detail", "no such item"}});
  }};
  return k;
}

// A page that holds a nested view, and the nested view: its zone from the session its parent gives.
class Family final : public cohort::live::View {
 public:
  void mount(const Params&, const Session&, Socket& s) override {
    s.assign("title", "Family");
    s.assign("clock", JsonObject{{"id", "clock-1"}, {"session", JsonObject{{"zone", "UTC"}}}});
  }
};

class Clock final : public cohort::live::View {
 public:
  void mount(const Params& params, const Session&, Socket& s) override {
    s.assign("zone", params.at("zone"));
    s.assign("ticks", Json(0));
  }
  void handle_event(std::string_view event, const Json&, Socket& s) override {
    if (event == "tick") s.assign("ticks", Json(s.get("ticks").to_number<std::int64_t>() + 1));
  }
};

// Every template of the directory is compiled, so every component and nested view it uses is
// registered.
class LiveHarnessTest : public ::testing::Test {
 protected:
  LiveHarnessTest() {
    live.component("badge", "badge", [] { return std::make_unique<Badge>(); });
    live.child_view("clock", "clock", [] { return std::make_unique<Clock>(); });
  }
  t::LiveHarness live{t::LiveHarness::Options{.templates_dir = COHORT_TEST_TEMPLATES}};
};

TEST_F(LiveHarnessTest, ClicksChangeWhatThePageShows) {
  live.view("/counter", "counter", [] { return std::make_unique<Counter>(); });
  auto page = live.mount("/counter");
  EXPECT_EQ(page.text("#count"), "0");
  page.click("#inc");
  EXPECT_EQ(page.text("#count"), "1");
  page.click("button[phx-value-by=\"5\"]");
  EXPECT_EQ(page.text("h1"), "6");
  EXPECT_EQ(page.assigns().at("count"), 6);
  EXPECT_THROW(page.click("#nothing"), t::Failure);
  EXPECT_THROW(page.click("h1"), t::Failure);  // no phx-click
}

TEST_F(LiveHarnessTest, AChangeTheViewNeverSentIsNotShown) {
  live.view("/counter", "counter", [] { return std::make_unique<Counter>(); });
  auto page = live.mount("/counter");
  page.click("#inc");
  page.click("#inc");
  EXPECT_EQ(page.text("#forgotten"), "0");  // an app's EXPECT_EQ(..., "2") fails here, as the browser would
}

TEST_F(LiveHarnessTest, TimersFireOnlyAsTheClockAdvances) {
  live.view("/counter", "counter", [] { return std::make_unique<Counter>(); });
  auto page = live.mount("/counter");
  live.advance(999ms);
  EXPECT_EQ(page.text("#ticks"), "0");
  live.advance(1ms);
  EXPECT_EQ(page.text("#ticks"), "1");
  live.advance(3000ms);
  EXPECT_EQ(page.text("#ticks"), "4");
}

TEST_F(LiveHarnessTest, HooksPatchesTitlesAndCrashes) {
  live.view("/counter", "counter", [] { return std::make_unique<Counter>(); });
  auto page = live.mount("/counter");
  EXPECT_EQ(page.hook_event("hook", JsonObject{{"x", 1}}), (Json(JsonObject{{"echo", JsonObject{{"x", 1}}}})));
  page.hook_event("go");
  auto nav = page.take_navigation();
  ASSERT_EQ(nav.size(), 1u);
  EXPECT_EQ(nav[0].kind, "patch");
  EXPECT_EQ(nav[0].to, "/counter?page=2");
  EXPECT_EQ(page.title(), "Page 2");
  page.patch("/counter?page=3");
  EXPECT_EQ(page.title(), "Page 3");
  EXPECT_THROW(page.hook_event("boom"), t::Failure);
  EXPECT_THROW(page.click("#inc"), t::Failure);  // it crashed
  EXPECT_THROW(live.mount("/nowhere"), t::Failure);
}

TEST_F(LiveHarnessTest, FormsStoresComponentsStreamsPresenceAndBroadcasts) {
  live.stores().define(todo_kind());
  live.view("/todo", "todo", [] { return std::make_unique<Todo>(); });
  auto ann = live.mount("/todo", {{"id", "ann"}});
  auto bob = live.mount("/todo", {{"id", "bob"}});

  ann.change("#add", {{"item[title]", "Milk"}});
  EXPECT_EQ(ann.text("#draft"), "Milk");
  EXPECT_EQ(ann.text("#target"), "[\"item\",\"title\"]");
  ann.submit("#add", {{"item[title]", "Milk"}});
  ann.submit("#add", {{"item[title]", "Eggs"}});
  ann.submit("#add", {{"item[title]", "Tea"}});
  EXPECT_EQ(ann.text("#draft"), "");
  EXPECT_EQ(bob.count("#items li"), 3u);  // Bob's page got the store's patches
  EXPECT_EQ(bob.text("#items li:first-child"), "Tea done");
  EXPECT_EQ(live.stores().state("todo:main").at_pointer("/items/0/tag"), "work");  // the selected option
  bob.click("#item-1 button");
  EXPECT_EQ(ann.attribute("#item-1", "class"), "item done");

  // The stream keeps the newest two log lines (inserted at 0, limit 2), as the DOM would.
  EXPECT_EQ(ann.count("#log li"), 2u);
  EXPECT_EQ(ann.text("#log li:first-child"), "added Tea");
  EXPECT_EQ(bob.count("#log li"), 0u);

  ann.click("#badge-b1 button");
  ann.click("#badge-b1 button");
  EXPECT_EQ(ann.text("#badge-b1 i"), "2");
  EXPECT_EQ(bob.text("#badge-b1 i"), "0");

  EXPECT_EQ(ann.count("#online .who"), 2u);
  live.track("room:todo", "cy", JsonObject{});
  EXPECT_EQ(ann.count("#online .who"), 3u);
  bob.close();
  live.untrack("room:todo", "cy");
  EXPECT_EQ(ann.text("#online"), "ann");

  live.broadcast("room:todo", "shout", JsonObject{{"text", "hi"}});
  EXPECT_EQ(ann.text("#shout"), "hi");
}

TEST_F(LiveHarnessTest, APageThatSawManyChangesShowsWhatAFreshMountShows) {
  live.stores().define(todo_kind());
  live.view("/todo", "todo", [] { return std::make_unique<Todo>(); });
  auto ann = live.mount("/todo", {{"id", "ann"}});
  auto cy = t::user("cy");
  for (int i = 0; i < 30; ++i) {
    live.stores().op("todo:main", "add", JsonObject{{"title", "t" + std::to_string(i)}, {"tag", "x"}}, cy);
    if (i % 3 == 0) live.stores().op("todo:main", "toggle", JsonObject{{"id", std::to_string(i / 2 + 1)}}, cy);
  }
  auto fresh = live.mount("/todo", {{"id", "ann"}});
  EXPECT_EQ(ann.element_html("#items"), fresh.element_html("#items"));
  EXPECT_EQ(ann.count("#items li"), 30u);
}

TEST_F(LiveHarnessTest, FlashShowsClearsAndTravelsWithANavigationSignedOnly) {
  live.view("/counter", "counter", [] { return std::make_unique<Counter>(); });
  auto page = live.mount("/counter");
  EXPECT_FALSE(page.has("#flash"));
  page.hook_event("saved");
  EXPECT_EQ(page.text("#flash"), "Saved.");
  page.click("#flash");  // lv:clear-flash, handled by Cohort: the view's handle_event never sees it
  EXPECT_FALSE(page.has("#flash"));

  page.hook_event("saved-and-away");
  auto nav = page.take_navigation();
  ASSERT_EQ(nav.size(), 1u);
  EXPECT_EQ(nav[0].kind, "navigate");
  ASSERT_FALSE(nav[0].flash.empty());
  auto next = live.mount(nav[0].to, {{"id", "tester"}}, nav[0].flash);
  EXPECT_EQ(next.text("#flash"), "Saved, see page 9.");
  // A flash token nobody signed here shows nothing.
  std::string forged = nav[0].flash;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(live.mount(nav[0].to, {{"id", "tester"}}, forged).has("#flash"));
}

TEST_F(LiveHarnessTest, AnOnMountHookSharesAssignsOrSendsTheVisitorAwayBeforeMount) {
  int mounted = 0;
  live.on_mount("/counter", [](const Params&, const Session&, Socket& s) {
    if (!s.actor().has_role("member")) {
      s.put_flash("error", "Members only.");
      s.redirect("/join");
      return cohort::live::OnMount::halt;
    }
    s.assign("greeting", "hello");
    return cohort::live::OnMount::proceed;
  });
  // Out of scope for /counter: were it run, the member below would be sent away too.
  live.on_mount("/other", [](const Params&, const Session&, Socket&) { return cohort::live::OnMount::halt; });
  live.view("/counter", "counter", [&mounted] {
    ++mounted;
    return std::make_unique<Counter>();
  });
  auto member = live.mount("/counter", {{"id", "m"}, {"roles", cohort::json::array{"member"}}});
  EXPECT_EQ(member.assigns().at("greeting"), "hello");
  EXPECT_EQ(member.text("#count"), "0");
  EXPECT_TRUE(member.take_navigation().empty());

  auto stranger = live.mount("/counter", {{"id", "s"}});
  auto nav = stranger.take_navigation();
  ASSERT_EQ(nav.size(), 1u);
  EXPECT_EQ(nav[0].kind, "redirect");
  EXPECT_EQ(nav[0].to, "/join");
  EXPECT_FALSE(nav[0].flash.empty());
  EXPECT_EQ(stranger.html(), "");
  EXPECT_FALSE(stranger.assigns().contains("count")) << "the view's mount never ran";
  EXPECT_EQ(mounted, 2) << "the view object is made, then kept from mounting";
}

TEST_F(LiveHarnessTest, TheStaticRenderIsWhatAGetShows) {
  live.view("/counter", "counter", [] { return std::make_unique<Counter>(); });
  std::string html = live.render_static("/counter");
  EXPECT_NE(html.find("<h1 id=\"count\">0</h1>"), std::string::npos) << html;
}

TEST_F(LiveHarnessTest, SelectorsOutsideTheSubsetAreRefusedByName) {
  live.view("/counter", "counter", [] { return std::make_unique<Counter>(); });
  auto page = live.mount("/counter");
  try {
    page.has("h1 ~ p");
    FAIL() << "a sibling combinator was accepted";
  } catch (const t::Failure& e) {
    EXPECT_NE(std::string(e.what()).find("Selectors"), std::string::npos) << e.what();
  }
  EXPECT_EQ(page.count("p:nth-child(3)"), 0u);
  EXPECT_EQ(page.count("button:nth-child(2)"), 1u);
  EXPECT_EQ(page.count("p:last-child"), 1u);
}

TEST_F(LiveHarnessTest, ANestedViewIsAContainerInItsParentAndAPageOfItsOwn) {
  live.view("/family", "family", [] { return std::make_unique<Family>(); });
  auto parent = live.mount("/family");
  EXPECT_EQ(parent.text("#family"), "Family");
  EXPECT_EQ(parent.count("#clock-1"), 1u);
  EXPECT_TRUE(parent.attribute("#clock-1", "data-phx-session"));
  EXPECT_EQ(parent.text("#clock-1"), "");  // the child renders itself, on its own channel
  auto clock = live.mount_child("clock", "clock-1", JsonObject{{"zone", "UTC"}});
  EXPECT_EQ(clock.text("#zone"), "UTC");
  clock.click("#tick");
  EXPECT_EQ(clock.text("#ticks"), "1");
}

// As a node's first HTML: the child mounted disconnected with the session its parent gave, its
// render inside its container.
TEST_F(LiveHarnessTest, TheStaticRenderHoldsANestedViewsFirstRender) {
  live.view("/family", "family", [] { return std::make_unique<Family>(); });
  std::string html = live.render_static("/family");
  auto open = html.find("<div id=\"clock-1\" data-phx-session=\"");
  ASSERT_NE(open, std::string::npos) << html;
  auto inside = html.find('>', open) + 1;
  const std::string first = "<p id=\"zone\">UTC</p>\n";
  EXPECT_EQ(html.substr(inside, first.size()), first) << html.substr(inside, 200);
  EXPECT_NE(html.find("<p id=\"ticks\">0</p>", inside), std::string::npos) << html;
}

// A child whose mount throws keeps its container empty in the first HTML; the page renders.
TEST_F(LiveHarnessTest, ANestedViewThatCannotMountLeavesItsContainerEmpty) {
  struct Broken final : cohort::live::View {
    void mount(const Params&, const Session&, Socket&) override { throw std::runtime_error("no clock today"); }
  };
  live.child_view("clock", "clock", [] { return std::make_unique<Broken>(); });  // replaces the working one
  live.view("/family", "family", [] { return std::make_unique<Family>(); });
  std::string html = live.render_static("/family");
  EXPECT_NE(html.find("Family"), std::string::npos) << html;
  auto open = html.find("<div id=\"clock-1\" data-phx-session=\"");
  ASSERT_NE(open, std::string::npos) << html;
  EXPECT_EQ(html.substr(html.find('>', open) + 1, 6), "</div>") << html;
}

}  // namespace
