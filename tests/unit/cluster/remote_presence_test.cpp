// remote_presence_test.cpp — other nodes' presences, gaps and digests (src/cluster/remote_presence.*).
#include "cluster/remote_presence.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "presence/presence_state.hpp"

namespace cohort::cluster {
namespace {

JsonObject obj(std::string_view text) { return json::parse(text).get_object(); }

TEST(RemotePresence, StateDiffComparesMetasByRef) {
  auto from = obj(R"({"a":{"metas":[{"phx_ref":"1"},{"phx_ref":"2"}]},"b":{"metas":[{"phx_ref":"3"}]}})");
  auto to = obj(R"({"a":{"metas":[{"phx_ref":"2"},{"phx_ref":"4"}]},"c":{"metas":[{"phx_ref":"5"}]}})");
  auto d = state_diff(from, to);
  EXPECT_EQ(d, obj(R"({"joins":{"a":{"metas":[{"phx_ref":"4"}]},"c":{"metas":[{"phx_ref":"5"}]}},
                      "leaves":{"a":{"metas":[{"phx_ref":"1"}]},"b":{"metas":[{"phx_ref":"3"}]}}})"));
  presence::apply_diff(from, d);
  EXPECT_EQ(state_diff(from, to), obj(R"({"joins":{},"leaves":{}})"));
}

TEST(RemotePresence, DeltasInOrderThenAGapThenADigestHeals) {
  RemotePresence r;
  bool in_order = true;
  // No digest yet: the first delta is applied but the view is stale.
  r.apply_delta(2, 1, "t", obj(R"({"a":{"metas":[{"phx_ref":"1"}]}})"), {}, &in_order);
  EXPECT_FALSE(in_order);
  EXPECT_TRUE(r.behind(2, 1));
  auto diffs = r.apply_digest(2, 1, obj(R"({"t":{"a":{"metas":[{"phx_ref":"1"}]}}})"));
  EXPECT_TRUE(diffs.empty());  // nothing new for the clients
  EXPECT_FALSE(r.behind(2, 1));
  r.apply_delta(2, 2, "t", obj(R"({"b":{"metas":[{"phx_ref":"2"}]}})"), {}, &in_order);
  EXPECT_TRUE(in_order);
  EXPECT_EQ(r.meta_count(2), 2u);
  // Delta 3 is lost; 4 arrives: applied, but flagged.
  auto d4 = r.apply_delta(2, 4, "t", {}, obj(R"({"a":{"metas":[{"phx_ref":"1"}]}})"), &in_order);
  EXPECT_FALSE(in_order);
  EXPECT_EQ(d4.topic, "t");
  EXPECT_TRUE(r.behind(2, 4));
  // The digest (which includes delta 3: c joined on topic u) heals exactly what was missed.
  diffs = r.apply_digest(2, 4, obj(R"({"t":{"b":{"metas":[{"phx_ref":"2"}]}},"u":{"c":{"metas":[{"phx_ref":"3"}]}}})"));
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].topic, "u");
  EXPECT_EQ(diffs[0].diff, obj(R"({"joins":{"c":{"metas":[{"phx_ref":"3"}]}},"leaves":{}})"));
  EXPECT_FALSE(r.behind(2, 4));
  EXPECT_TRUE(r.behind(2, 5));  // a heartbeat announcing 5 means we missed one
}

TEST(RemotePresence, ADigestRemovesWhatTheNodeNoLongerHas) {
  RemotePresence r;
  r.apply_digest(3, 10, obj(R"({"t":{"a":{"metas":[{"phx_ref":"1"}]}}})"));
  auto diffs = r.apply_digest(3, 11, obj("{}"));
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_EQ(diffs[0].diff, obj(R"({"joins":{},"leaves":{"a":{"metas":[{"phx_ref":"1"}]}}})"));
  EXPECT_EQ(r.meta_count(3), 0u);
}

TEST(RemotePresence, DroppingANodeLeavesEverythingItOwned) {
  RemotePresence r;
  r.apply_digest(4, 1, obj(R"({"t":{"a":{"metas":[{"phx_ref":"1"}]}},"u":{"b":{"metas":[{"phx_ref":"2"}]}}})"));
  auto diffs = r.drop_node(4);
  ASSERT_EQ(diffs.size(), 2u);
  for (const auto& d : diffs) EXPECT_TRUE(d.diff.at("joins").get_object().empty());
  EXPECT_FALSE(r.knows(4));
  EXPECT_TRUE(r.drop_node(4).empty());
}

}  // namespace
}  // namespace cohort::cluster
