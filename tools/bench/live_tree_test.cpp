// live_tree_test.cpp — a bench view's tree: the join's render, diffs and event replies merged,
// the value read after its marker, a diff that cannot apply reported; and the latency of
// changes computed from a view's log of values.
#include "live_tree.hpp"

#include <gtest/gtest.h>

#include "live_views.hpp"

namespace cohort::bench {
namespace {

constexpr std::string_view kMarker = R"(<span id="count" class="count">)";

// The counter page's shape, trimmed: the count in slot 1 of the root, a list, a component.
constexpr std::string_view kJoin =
    R"({"status":"ok","response":{"rendered":{"0":"Fabled Mole","1":"41","2":{"s":["<li>","</li>"],"k":{"0":{"0":"a"},"kc":1}},)"
    R"("3":1,"s":["<nav>","</nav><span id=\"count\" class=\"count\">","</span><ul>","</ul>",""],)"
    R"("c":{"1":{"0":"about","s":["<section id=\"","\"></section>"],"r":1}},"t":"Counter 41"},"liveview_version":"1.2.12"}})";

TEST(LiveTree, MountsMergesAndReadsTheValue) {
  LiveTree t;
  ASSERT_FALSE(t.mount_reply(kJoin));
  EXPECT_EQ(value_after(t.tree(), kMarker), "41");
  EXPECT_EQ(t.tree().title(), "Counter 41");
  ASSERT_FALSE(t.merge_diff(R"({"1":"42","t":"Counter 42"})"));
  EXPECT_EQ(value_after(t.tree(), kMarker), "42");
  EXPECT_EQ(t.tree().title(), "Counter 42");
  EXPECT_NE(t.tree().html().find(R"(<span id="count" class="count">42</span>)"), std::string::npos);
  bool had_diff = true;
  ASSERT_FALSE(t.merge_reply(R"({"status":"ok","response":{}})", had_diff));
  EXPECT_FALSE(had_diff);
  ASSERT_FALSE(t.merge_reply(R"({"status":"ok","response":{"diff":{"1":"43","2":{"k":{"1":{"0":"b"},"kc":2}}}}})", had_diff));
  EXPECT_TRUE(had_diff);
  EXPECT_EQ(value_after(t.tree(), kMarker), "43");
  EXPECT_NE(t.tree().html().find("<li>a</li><li>b</li>"), std::string::npos);
}

TEST(LiveTree, ReadsValuesInNestedNodesAndComponents) {
  LiveTree t;
  ASSERT_FALSE(t.mount_reply(kJoin));
  EXPECT_EQ(value_after(t.tree(), R"(<section id=")"), "about");
  ASSERT_FALSE(t.merge_diff(R"({"0":{"0":"7","s":["<b id=\"n\">","</b>"]}})"));
  EXPECT_EQ(value_after(t.tree(), R"(<b id="n">)"), "7");
  EXPECT_EQ(value_after(t.tree(), "no such static"), std::nullopt);
}

TEST(LiveTree, ReportsWhatDoesNotApply) {
  LiveTree t;
  EXPECT_TRUE(t.mount_reply(R"({"status":"error","response":{"reason":"stale"}})"));
  EXPECT_TRUE(t.mount_reply(R"({"status":"ok","response":{}})"));
  ASSERT_FALSE(t.mount_reply(kJoin));
  EXPECT_TRUE(t.merge_diff("not json"));
  // An entry moved from index 5 of a list that has one entry.
  auto err = t.merge_diff(R"({"2":{"k":{"0":5,"kc":1}}})");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("does not apply"), std::string::npos);
  bool had_diff = false;
  EXPECT_TRUE(t.merge_reply(R"({"status":"error","response":{"reason":"unhandled event"}})", had_diff));
}

TEST(ChangeLatencies, FromAckAndClickFoldedAndMissed) {
  // Changes to 1, 2, 3 acknowledged at 100, 200, 300 (clicked 10 earlier); the view showed 1 at
  // 90 (before the ack), then 3 at 350 (2 folded into the same diff), and never 4.
  std::vector<Change> changes{{1, 90 - 10, 100}, {2, 190, 200}, {3, 290, 300}, {4, 390, 400}};
  std::vector<ValueSeen> log{{1, 90}, {3, 350}};
  ChangeLatency lat;
  add_change_latencies(changes, log, lat);
  EXPECT_EQ(lat.from_ack.count(), 3u);
  EXPECT_EQ(lat.before_ack, 1u);
  EXPECT_EQ(lat.missed, 1u);
  EXPECT_EQ(lat.from_ack.max(), 150u);   // change 2: acked at 200, shown at 350
  EXPECT_EQ(lat.from_click.max(), 160u);
}

}  // namespace
}  // namespace cohort::bench
