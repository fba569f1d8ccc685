// apps_stores_test.cpp — the demo apps' store kinds (examples/demo/apps/*_store.cpp), run the way an
// app's own tests run theirs: on the node's real stores through cohort/testing.hpp's StoreHarness,
// so the roles, the "owner" role of a poll's creator and every refusal are the store's own.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "apps/board_store.hpp"
#include "apps/incident_store.hpp"
#include "apps/poll_store.hpp"
#include "apps/quiz_store.hpp"
#include "cohort/testing.hpp"

namespace cohort::apps {
namespace {

// One key of one kind, changed only through its ops; `state` is the key's after each op, and
// `ops` the operations its last op broadcast.
struct Doc {
  explicit Doc(StoreKind k) : kind(k), key(k.name + ":main") { stores.define(std::move(k)); }

  OpOutcome run(std::string_view op, const Actor& actor, Json args = JsonObject{}) {
    OpOutcome r = stores.op(key, std::string(op), std::move(args), actor);
    state = stores.state(key);
    ops.clear();
    for (const auto& p : stores.take_patches(key))
      for (const auto& o : p.payload.at("ops").as_array()) ops.push_back(o);
    return r;
  }
  std::string detail(const OpOutcome& r) const {
    auto* d = r.error.if_contains("detail");
    return d && d->is_string() ? std::string(d->get_string()) : json::serialize(r.error);
  }

  StoreKind kind;
  std::string key;
  testing::StoreHarness stores;
  Json state;
  json::array ops;
};

const Actor kAlice{"u-alice", {}, "Alice"};
const Actor kBob{"u-bob", {}, "Bob"};
const Actor kMod{"u-mod", {"moderator"}, "Mo"};
const Actor kAnonymous{};

// Whether a /socket client with this actor may follow <kind>:<id> (StoreKind::can_join).
bool joins(const StoreKind& k, const Actor& a, std::string_view id) { return !k.can_join || k.can_join(a, id); }

TEST(AppStores, EveryOpRefusesAnonymousActorsAndServerOnlyOpsAreMarked) {
  std::vector<StoreKind> kinds{incident_kind(), quiz_kind(), board_kind(), poll_kind(), polls_index_kind()};
  for (const auto& k : kinds)
    for (const auto& [name, spec] : k.ops) EXPECT_FALSE(spec.anonymous) << k.name << " " << name;
  EXPECT_FALSE(poll_kind().ops.at("setup").from_clients);
  EXPECT_TRUE(poll_kind().ops.at("vote").from_clients);
  EXPECT_FALSE(polls_index_kind().ops.at("add").from_clients);
  EXPECT_FALSE(polls_index_kind().ops.at("closed").from_clients);
  EXPECT_TRUE(incident_kind().ops.at("set").from_clients);
}

TEST(AppStores, JoinsReachOnlyTheKeysTheAppsUse) {
  EXPECT_TRUE(joins(incident_kind(), kAnonymous, "main"));
  EXPECT_FALSE(joins(incident_kind(), kAlice, "other"));
  EXPECT_TRUE(joins(board_kind(), kAnonymous, "main"));
  EXPECT_FALSE(joins(board_kind(), kAlice, "b2"));
  EXPECT_TRUE(joins(polls_index_kind(), kAnonymous, "index"));
  EXPECT_FALSE(joins(polls_index_kind(), kAnonymous, "main"));
  EXPECT_TRUE(joins(poll_kind(), kAnonymous, "abc123"));
  EXPECT_FALSE(joins(poll_kind(), kAnonymous, "Not-An-Id"));
  EXPECT_TRUE(joins(quiz_kind(), kMod, "main"));
  EXPECT_FALSE(joins(quiz_kind(), kAlice, "main")) << "a player could read the others' answers";
  EXPECT_FALSE(joins(quiz_kind(), kAnonymous, "main"));
}

TEST(IncidentStore, SetValidatesAndRecordsWhoEdited) {
  Doc d{incident_kind([] { return std::int64_t{1000}; })};
  EXPECT_TRUE(d.run("set", kAlice, JsonObject{{"field", "title"}, {"value", "  DB down  "}, {"by", "the on-call lead"}}).ok);
  EXPECT_EQ(d.state.at("fields").at("title"), "DB down");
  EXPECT_EQ(d.state.at("edited").at("title").at("by"), "Alice") << "the signed name, not the argument";
  EXPECT_EQ(d.state.at("edited").at("title").at("at_ms"), 1000);

  auto bad_choice = d.run("set", kBob, JsonObject{{"field", "severity"}, {"value", "Meh"}});
  EXPECT_FALSE(bad_choice.ok);
  EXPECT_EQ(d.detail(bad_choice), "Choose one of the listed values.");
  EXPECT_TRUE(d.run("set", kBob, JsonObject{{"field", "severity"}, {"value", "Critical"}}).ok);
  EXPECT_FALSE(d.run("set", kBob, JsonObject{{"field", "nope"}, {"value", "x"}}).ok);
  EXPECT_FALSE(d.run("set", kBob, JsonObject{{"field", "title"}, {"value", 7}}).ok);
  auto too_long = d.run("set", kBob, JsonObject{{"field", "title"}, {"value", std::string(121, 'x')}});
  EXPECT_EQ(d.detail(too_long), "Title is limited to 120 characters.");
  // 120 two-byte characters are 120 characters, not 240.
  std::string accents;
  for (int i = 0; i < 120; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(d.run("set", kBob, JsonObject{{"field", "title"}, {"value", accents}}).ok);
  // Setting what is there already changes nothing.
  auto same = d.run("set", kBob, JsonObject{{"field", "title"}, {"value", accents}});
  EXPECT_TRUE(same.ok);
  EXPECT_TRUE(d.ops.empty());
}

TEST(QuizStore, ModeratorOpsNeedTheRoleAnswersCountOnce) {
  std::int64_t now = 10'000;
  Doc d{quiz_kind([&] { return now; })};
  for (auto op : {"start", "next", "pause", "resume", "reset"})
    EXPECT_EQ(d.kind.ops.at(op).roles, std::vector<std::string>{"moderator"}) << op;
  EXPECT_TRUE(d.kind.ops.at("answer").roles.empty());

  EXPECT_FALSE(d.run("answer", kAlice, JsonObject{{"choice", 0}}).ok);  // lobby
  EXPECT_EQ(d.run("start", kAlice).rejection(), Rejection::forbidden);
  ASSERT_TRUE(d.run("start", kMod).ok);
  EXPECT_EQ(d.state.at("deadline_ms"), 10'000 + kQuizQuestionMs);
  auto first = d.run("answer", kAlice, JsonObject{{"choice", "0"}, {"name", "The Moderator"}, {"color", "red;x"}});
  ASSERT_TRUE(first.ok) << d.detail(first);
  EXPECT_EQ(d.state.at("scores").at("u-alice").at("name"), "Alice") << "the signed name, not the argument";
  EXPECT_EQ(d.state.at("scores").at("u-alice").at("color"), "#888888") << "only a #rrggbb colour is kept";
  auto again = d.run("answer", kAlice, JsonObject{{"choice", 1}});
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(d.detail(again), "You have already answered this question.");
  EXPECT_EQ(d.state.at("scores").at("u-alice").at("points"), 1);  // question 0's answer is 0
  EXPECT_FALSE(d.run("answer", kBob, JsonObject{{"choice", 9}}).ok);
}

TEST(QuizStore, PauseKeepsTheTimeLeftAndResumeRestoresIt) {
  std::int64_t now = 0;
  Doc d{quiz_kind([&] { return now; })};
  ASSERT_TRUE(d.run("start", kMod).ok);
  now = 5'000;
  ASSERT_TRUE(d.run("pause", kMod).ok);
  EXPECT_EQ(d.state.at("remaining_ms"), kQuizQuestionMs - 5'000);
  EXPECT_FALSE(d.run("pause", kMod).ok);
  EXPECT_FALSE(d.run("answer", kBob, JsonObject{{"choice", 0}}).ok);  // paused
  now = 60'000;  // paused for a long time: the countdown does not run
  ASSERT_TRUE(d.run("resume", kMod).ok);
  EXPECT_EQ(d.state.at("deadline_ms"), 60'000 + kQuizQuestionMs - 5'000);
  now = 60'000 + kQuizQuestionMs;  // past the deadline
  auto late = d.run("answer", kBob, JsonObject{{"choice", 0}});
  EXPECT_EQ(d.detail(late), "Time is up for this question.");
  for (std::size_t i = 1; i < quiz_questions().size(); ++i) ASSERT_TRUE(d.run("next", kMod).ok);
  EXPECT_EQ(d.state.at("index"), quiz_questions().size() - 1);
  ASSERT_TRUE(d.run("next", kMod).ok);
  EXPECT_EQ(d.state.at("phase"), "finished");
  ASSERT_TRUE(d.run("reset", kMod).ok);
  EXPECT_EQ(d.state.at("phase"), "lobby");
}

TEST(QuizStore, TheQuestionTimeIsTheKindsSetting) {
  std::int64_t now = 1'000;
  Doc d{quiz_kind([&] { return now; }, 2'500)};
  ASSERT_TRUE(d.run("start", kMod).ok);
  EXPECT_EQ(d.state.at("deadline_ms"), 3'500);
  EXPECT_EQ(d.state.at("remaining_ms"), 2'500);
  now = 3'499;
  EXPECT_TRUE(d.run("answer", kAlice, JsonObject{{"choice", 0}}).ok);
  now = 3'500;
  EXPECT_EQ(d.detail(d.run("answer", kBob, JsonObject{{"choice", 0}})), "Time is up for this question.");
  ASSERT_TRUE(d.run("next", kMod).ok);  // the next question gets the same time again
  EXPECT_EQ(d.state.at("deadline_ms"), 6'000);
}

TEST(BoardStore, StrokesGrowByPartsUndoIsOwnClearIsModerators) {
  Doc d{board_kind()};
  EXPECT_EQ(d.kind.ops.at("clear").roles, std::vector<std::string>{"moderator"});
  EXPECT_GT(d.kind.coalesce.count(), 0);
  json::array pts{10, 20, 30.7, 40};
  ASSERT_TRUE(d.run("begin", kAlice, JsonObject{{"id", "a1"}, {"color", "#e4572e"}, {"points", pts}}).ok);
  ASSERT_TRUE(d.run("extend", kAlice, JsonObject{{"id", "a1"}, {"points", json::array{5000, -3}}}).ok);
  EXPECT_EQ(board_points(d.state.at("strokes").at(0)), "10,20 30,40 1000,0");
  EXPECT_FALSE(d.run("extend", kBob, JsonObject{{"id", "a1"}, {"points", json::array{1, 1}}}).ok);
  EXPECT_FALSE(d.run("begin", kBob, JsonObject{{"id", "a1"}, {"color", "#000000"}, {"points", pts}}).ok);
  EXPECT_FALSE(d.run("begin", kBob, JsonObject{{"id", "b1"}, {"color", "red;x"}, {"points", pts}}).ok);
  EXPECT_FALSE(d.run("begin", kBob, JsonObject{{"id", "b1"}, {"color", "#000000"}, {"points", json::array{1}}}).ok);
  ASSERT_TRUE(d.run("begin", kBob, JsonObject{{"id", "b1"}, {"color", "#000000"}, {"points", pts}}).ok);
  ASSERT_TRUE(d.run("begin", kAlice, JsonObject{{"id", "a2"}, {"color", "#e4572e"}, {"points", pts}}).ok);
  // Bob's undo removes Bob's stroke, not Alice's newer one.
  ASSERT_TRUE(d.run("undo", kBob).ok);
  ASSERT_EQ(d.state.at("strokes").as_array().size(), 2u);
  EXPECT_EQ(d.state.at("strokes").at(1).at("id"), "a2");
  EXPECT_FALSE(d.run("undo", kBob).ok);
  EXPECT_EQ(d.run("clear", kAlice).rejection(), Rejection::forbidden);
  ASSERT_TRUE(d.run("clear", kMod).ok);
  EXPECT_TRUE(d.state.at("strokes").as_array().empty());
}

TEST(PollStore, OneVotePerPersonOwnerCloses) {
  Doc d{poll_kind()};
  EXPECT_EQ(d.kind.ops.at("close").roles, std::vector<std::string>{"owner"});
  EXPECT_FALSE(d.run("vote", kBob, JsonObject{{"option", "o1"}}).ok);  // not set up
  EXPECT_FALSE(d.run("setup", kAlice, JsonObject{{"question", "Lunch?"}, {"options", json::array{"Pizza", " pizza"}}}).ok);
  auto dup = d.run("setup", kAlice, JsonObject{{"question", "Lunch?"}, {"options", json::array{"Pizza", "Pizza ", ""}}});
  EXPECT_EQ(d.detail(dup), "Give two to six different options.");
  ASSERT_TRUE(d.run("setup", kAlice, JsonObject{{"question", "Lunch?"}, {"options", json::array{"Pizza", "Soup", ""}}}).ok);
  EXPECT_EQ(d.state.at("_owner"), "u-alice");
  EXPECT_EQ(d.state.at("options").as_array().size(), 2u);
  EXPECT_FALSE(d.run("setup", kBob, JsonObject{{"question", "Mine"}, {"options", json::array{"a", "b"}}}).ok);
  ASSERT_TRUE(d.run("vote", kBob, JsonObject{{"option", "o2"}}).ok);
  auto second = d.run("vote", kBob, JsonObject{{"option", "o1"}});
  EXPECT_EQ(d.detail(second), "You have already voted in this poll.");
  EXPECT_FALSE(d.run("vote", kAlice, JsonObject{{"option", "o9"}}).ok);
  EXPECT_EQ(d.run("close", kBob).rejection(), Rejection::forbidden);  // only its creator holds "owner"
  ASSERT_TRUE(d.run("close", kAlice).ok);
  EXPECT_EQ(d.detail(d.run("vote", kAlice, JsonObject{{"option", "o1"}})), "This poll is closed.");
}

TEST(PollStore, IndexListsNewestFirstAndOnlyTheOwnerMarksClosed) {
  Doc d{polls_index_kind()};
  ASSERT_TRUE(d.run("add", kAlice, JsonObject{{"id", "p1"}, {"question", "One?"}, {"owner_name", "Someone Else"}}).ok);
  EXPECT_EQ(d.state.at("polls").at(0).at("owner_name"), "Alice") << "the signed name, not the argument";
  ASSERT_TRUE(d.run("add", kBob, JsonObject{{"id", "p2"}, {"question", "Two?"}}).ok);
  EXPECT_FALSE(d.run("add", kBob, JsonObject{{"id", "P/3"}, {"question", "Bad id"}}).ok);
  EXPECT_EQ(d.state.at("polls").at(0).at("id"), "p2");
  EXPECT_FALSE(d.run("closed", kBob, JsonObject{{"id", "p1"}}).ok);
  ASSERT_TRUE(d.run("closed", kAlice, JsonObject{{"id", "p1"}}).ok);
  EXPECT_EQ(d.state.at("polls").at(1).at("closed"), true);
}

}  // namespace
}  // namespace cohort::apps
