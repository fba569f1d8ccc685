// board_store_test.cpp — the board's store kind (board_store.cpp) on the node's real stores, as an
// app tests its kinds (cohort/testing.hpp's StoreHarness): each op run as a signed-in person,
// the state and the patch it broadcast read back, every refusal checked.
// Built against the installed Cohort like the app (-DKANBAN_TESTS=ON); tests/package runs it.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

#include "board_store.hpp"
#include "cohort/input.hpp"
#include "cohort/testing.hpp"

namespace kanban {
namespace {

namespace input = cohort::input;
namespace json = cohort::json;
using cohort::Actor;
using cohort::Json;
using cohort::JsonObject;

// What an op did: its outcome, and the operations it broadcast.
struct Ran {
  bool ok = false;
  cohort::JsonObject error;
  json::array patch;
};

// One board, changed only through its ops, on the node's real stores (cohort/testing.hpp).
struct Board {
  Board() { stores.define(board_kind(wip)); }

  Ran run(std::string_view op, const Actor& actor, Json args) {
    cohort::OpOutcome o = stores.op("board:1", std::string(op), std::move(args), actor);
    Ran r{o.ok, o.error, {}};
    for (const auto& p : stores.take_patches("board:1"))
      for (const auto& change : p.payload.at("ops").as_array()) r.patch.push_back(change);
    state = stores.state("board:1");
    return r;
  }
  std::string add(std::string_view column, std::string_view title, const Actor& who) {
    Ran r = run("add", who, JsonObject{{"column", column}, {"title", title}});
    EXPECT_TRUE(r.ok) << boost::json::serialize(r.error);
    return "c" + std::to_string(state.at("next").as_int64() - 1);
  }
  Json column(std::string_view id) const { return state.at("columns").at(id); }
  Json card(std::string_view id) const { return state.at("cards").at(id); }

  std::uint64_t wip = 2;
  cohort::testing::StoreHarness stores;
  Json state = board_kind(wip).initial;
};

const Actor kAna{"p-ana", {}, "Ana"};
const Actor kBo{"p-bo", {}, "Bo"};

std::string reason(const Ran& r) { return r.ok ? "ok" : std::string(r.error.at("reason").as_string()); }
std::string detail(const Ran& r) { return r.ok ? "" : input::text(r.error, "detail"); }

TEST(BoardStore, AddPutsACardAtTheBottomOfItsColumnWithTheActorsName) {
  Board b;
  std::string c1 = b.add("todo", "Fix login", kAna);
  Ran r = b.run("add", kBo, JsonObject{{"column", "todo"}, {"title", "  Write docs  "}, {"text", "two\nlines"},
                                       {"by", "Mallory"}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(b.column("todo"), (json::array{"c1", "c2"}));
  EXPECT_EQ(c1, "c1");
  EXPECT_EQ(b.card("c2").at("title"), "Write docs");
  EXPECT_EQ(b.card("c2").at("text"), "two\nlines");
  EXPECT_EQ(b.card("c2").at("column"), "todo");
  EXPECT_EQ(b.card("c2").at("by"), "Bo") << "the signed name, never the argument";
  EXPECT_EQ(b.card("c1").at("by"), "Ana");
}

TEST(BoardStore, AddRefusesEveryBadArgument) {
  Board b;
  struct Case {
    JsonObject args;
    std::string detail;
  };
  std::vector<Case> cases = {
      {{{"title", "x"}}, "The column must be text."},
      {{{"column", "later"}, {"title", "x"}}, "There is no column \"later\"."},
      {{{"column", 3}, {"title", "x"}}, "The column must be text."},
      {{{"column", "todo"}}, "The title must be text."},
      {{{"column", "todo"}, {"title", "   "}}, "A card needs a title."},
      {{{"column", "todo"}, {"title", std::string(81, 'x')}}, "A title is at most 80 characters."},
      {{{"column", "todo"}, {"title", "a\tb"}}, "A title is one line of text."},
      // Refused by the store before the kind sees it: args that could not be stored never reach an op.
      {{{"column", "todo"}, {"title", "bad \xC3\x28 utf-8"}}, "a string that is not valid UTF-8 at /title"},
      {{{"column", "todo"}, {"title", "x"}, {"text", std::string(1001, 'y')}}, "A text is at most 1000 characters."},
      {{{"column", "todo"}, {"title", "x"}, {"text", "bell\x07"}}, "The text holds a control character."},
      {{{"column", "todo"}, {"title", "x"}, {"text", 7}}, "The text must be text."},
  };
  for (const auto& c : cases) {
    Ran r = b.run("add", kAna, c.args);
    EXPECT_EQ(reason(r), "invalid") << boost::json::serialize(c.args);
    EXPECT_EQ(detail(r), c.detail) << boost::json::serialize(c.args);
  }
  EXPECT_TRUE(b.state.at("cards").as_object().empty());
  // 80 characters are 80 code points, not 80 bytes: "é" is two bytes.
  std::string eighty;
  for (int i = 0; i < 80; ++i) eighty += "\xC3\xA9";
  EXPECT_TRUE(b.run("add", kAna, JsonObject{{"column", "todo"}, {"title", eighty}}).ok);
}

TEST(BoardStore, ABoardHoldsAtMost200Cards) {
  Board b;
  for (std::size_t i = 0; i < kMaxCards; ++i) b.add(i % 2 ? "todo" : "done", "card " + std::to_string(i), kAna);
  Ran r = b.run("add", kAna, JsonObject{{"column", "todo"}, {"title", "one too many"}});
  EXPECT_EQ(reason(r), "invalid");
  EXPECT_EQ(detail(r), "This board is full: it holds 200 cards.");
}

TEST(BoardStore, MoveTakesTheCardOutThenPutsItAtPosition) {
  Board b;
  for (auto t : {"a", "b", "c"}) b.add("todo", t, kAna);
  ASSERT_TRUE(b.run("move", kBo, JsonObject{{"card", "c1"}, {"column", "todo"}, {"position", 2}}).ok);
  EXPECT_EQ(b.column("todo"), (json::array{"c2", "c3", "c1"}));
  ASSERT_TRUE(b.run("move", kBo, JsonObject{{"card", "c1"}, {"column", "todo"}, {"position", 0}}).ok);
  EXPECT_EQ(b.column("todo"), (json::array{"c1", "c2", "c3"}));
  ASSERT_TRUE(b.run("move", kBo, JsonObject{{"card", "c2"}, {"column", "done"}, {"position", 0}}).ok);
  EXPECT_EQ(b.column("todo"), (json::array{"c1", "c3"}));
  EXPECT_EQ(b.column("done"), (json::array{"c2"}));
  EXPECT_EQ(b.card("c2").at("column"), "done");
  // Where it already is: accepted, nothing changes.
  Ran same = b.run("move", kBo, JsonObject{{"card", "c2"}, {"column", "done"}, {"position", 0}});
  EXPECT_TRUE(same.ok);
  EXPECT_TRUE(same.patch.empty());
}

TEST(BoardStore, EveryCardChangeWritesUnderTheCardsPathSoItsLockCoversIt) {
  Board b;
  b.add("todo", "a", kAna);
  b.add("todo", "b", kAna);
  auto touches_card = [](const Ran& r, std::string_view card) {
    std::string path = "/cards/" + std::string(card);
    for (const auto& op : r.patch) {
      std::string_view p = op.at("path").as_string();
      if (p == path || p.starts_with(path + "/")) return true;
    }
    return false;
  };
  EXPECT_TRUE(touches_card(b.run("move", kBo, JsonObject{{"card", "c1"}, {"column", "todo"}, {"position", 1}}), "c1"));
  EXPECT_TRUE(touches_card(b.run("move", kBo, JsonObject{{"card", "c1"}, {"column", "doing"}, {"position", 0}}), "c1"));
  EXPECT_TRUE(touches_card(b.run("edit", kBo, JsonObject{{"card", "c1"}, {"title", "a2"}, {"text", ""}}), "c1"));
  EXPECT_TRUE(touches_card(b.run("delete", kBo, JsonObject{{"card", "c1"}}), "c1"));
}

TEST(BoardStore, MoveRefusesEveryBadArgument) {
  Board b;
  b.add("todo", "a", kAna);
  b.add("todo", "b", kAna);
  struct Case {
    JsonObject args;
    std::string detail;
  };
  std::vector<Case> cases = {
      {{{"card", "c9"}, {"column", "todo"}, {"position", 0}}, "There is no card \"c9\" on this board."},
      {{{"card", "../next"}, {"column", "todo"}, {"position", 0}}, "There is no card \"../next\" on this board."},
      {{{"card", 1}, {"column", "todo"}, {"position", 0}}, "The card must be text."},
      {{{"card", "c1"}, {"column", "nowhere"}, {"position", 0}}, "There is no column \"nowhere\"."},
      {{{"card", "c1"}, {"column", "todo"}}, "The position must be a whole number from 0 to 1."},
      {{{"card", "c1"}, {"column", "todo"}, {"position", 2}}, "The position must be a whole number from 0 to 1."},
      {{{"card", "c1"}, {"column", "todo"}, {"position", -1}}, "The position must be a whole number from 0 to 1."},
      {{{"card", "c1"}, {"column", "todo"}, {"position", "1"}}, "The position must be a whole number from 0 to 1."},
      {{{"card", "c1"}, {"column", "todo"}, {"position", 0.5}}, "The position must be a whole number from 0 to 1."},
      {{{"card", "c1"}, {"column", "done"}, {"position", 1}}, "The position must be a whole number from 0 to 0."},
  };
  for (const auto& c : cases) {
    Ran r = b.run("move", kAna, c.args);
    EXPECT_EQ(reason(r), "invalid") << boost::json::serialize(c.args);
    EXPECT_EQ(detail(r), c.detail) << boost::json::serialize(c.args);
  }
  EXPECT_EQ(b.column("todo"), (json::array{"c1", "c2"}));
}

TEST(BoardStore, DoingHoldsAtMostTheWipLimit) {
  Board b;  // wip 2
  for (auto t : {"a", "b", "c"}) b.add("todo", t, kAna);
  ASSERT_TRUE(b.run("move", kAna, JsonObject{{"card", "c1"}, {"column", "doing"}, {"position", 0}}).ok);
  ASSERT_TRUE(b.run("add", kAna, JsonObject{{"column", "doing"}, {"title", "d"}}).ok);
  Ran moved = b.run("move", kBo, JsonObject{{"card", "c2"}, {"column", "doing"}, {"position", 0}});
  EXPECT_EQ(reason(moved), "invalid");
  EXPECT_EQ(moved.error.at("rule"), "wip_limit");
  EXPECT_EQ(moved.error.at("limit"), 2);
  EXPECT_EQ(moved.error.at("column"), "doing");
  EXPECT_EQ(detail(moved), "Doing already holds 2 cards, its work-in-progress limit. Finish one first.");
  Ran added = b.run("add", kBo, JsonObject{{"column", "doing"}, {"title", "e"}});
  EXPECT_EQ(reason(added), "invalid");
  EXPECT_EQ(added.error.at("rule"), "wip_limit");
  // Inside Doing a card still moves; out of it, and then another one may come in.
  EXPECT_TRUE(b.run("move", kAna, JsonObject{{"card", "c1"}, {"column", "doing"}, {"position", 1}}).ok);
  EXPECT_TRUE(b.run("move", kAna, JsonObject{{"card", "c1"}, {"column", "done"}, {"position", 0}}).ok);
  EXPECT_TRUE(b.run("move", kBo, JsonObject{{"card", "c2"}, {"column", "doing"}, {"position", 0}}).ok);
  // The limit is read at every op: the option's value, not a copy taken when the kind was made.
  b.wip = 3;
  EXPECT_TRUE(b.run("move", kBo, JsonObject{{"card", "c3"}, {"column", "doing"}, {"position", 2}}).ok);
  EXPECT_EQ(b.column("doing").as_array().size(), 3u);
}

TEST(BoardStore, EditChangesTitleAndTextAndSaysWhoEdited) {
  Board b;
  b.add("todo", "Fix login", kAna);
  ASSERT_TRUE(b.run("edit", kBo, JsonObject{{"card", "c1"}, {"title", " Fix sign-in "}, {"text", "on mobile"},
                                            {"edited_by", "Ana"}}).ok);
  EXPECT_EQ(b.card("c1").at("title"), "Fix sign-in");
  EXPECT_EQ(b.card("c1").at("text"), "on mobile");
  EXPECT_EQ(b.card("c1").at("edited_by"), "Bo");
  EXPECT_EQ(b.card("c1").at("by"), "Ana");
  Ran unchanged = b.run("edit", kAna, JsonObject{{"card", "c1"}, {"title", "Fix sign-in"}, {"text", "on mobile"}});
  EXPECT_TRUE(unchanged.ok);
  EXPECT_TRUE(unchanged.patch.empty());
  EXPECT_EQ(detail(b.run("edit", kAna, JsonObject{{"card", "c1"}, {"title", ""}, {"text", ""}})), "A card needs a title.");
  EXPECT_EQ(detail(b.run("edit", kAna, JsonObject{{"card", "c1"}, {"title", "x"}})), "The text must be text.");
  EXPECT_EQ(detail(b.run("edit", kAna, JsonObject{{"card", "c2"}, {"title", "x"}, {"text", ""}})),
            "There is no card \"c2\" on this board.");
}

TEST(BoardStore, DeleteRemovesTheCardFromItsColumnAndIdsAreNotReused) {
  Board b;
  for (auto t : {"a", "b", "c"}) b.add("todo", t, kAna);
  ASSERT_TRUE(b.run("delete", kBo, JsonObject{{"card", "c2"}}).ok);
  EXPECT_EQ(b.column("todo"), (json::array{"c1", "c3"}));
  EXPECT_FALSE(b.state.at("cards").as_object().contains("c2"));
  EXPECT_EQ(reason(b.run("delete", kBo, JsonObject{{"card", "c2"}})), "invalid");
  EXPECT_EQ(b.add("todo", "d", kAna), "c4");
}

TEST(BoardStore, OnlySignedInActorsAndNoSocketJoins) {
  cohort::StoreKind kind = board_kind(2);
  for (const auto& [name, spec] : kind.ops) {
    EXPECT_FALSE(spec.anonymous) << name;
    EXPECT_TRUE(spec.roles.empty()) << name;
  }
  ASSERT_TRUE(kind.can_join);
  EXPECT_FALSE(kind.can_join(kAna, "main"));
  EXPECT_FALSE(kind.can_create);
  Board b;  // the store refuses an anonymous actor before the handler runs
  EXPECT_EQ(reason(b.run("add", cohort::testing::anonymous(), JsonObject{{"column", "todo"}, {"title", "x"}})), "forbidden");
}

TEST(BoardStore, BoardIds) {
  EXPECT_TRUE(valid_board_id("main"));
  EXPECT_TRUE(valid_board_id("team-2"));
  EXPECT_TRUE(valid_board_id(std::string(kMaxBoardId, 'a')));
  EXPECT_FALSE(valid_board_id(std::string(kMaxBoardId + 1, 'a')));
  for (auto bad : {"", "Main", "a b", "a/b", "..", "x:y", "caf\xC3\xA9"}) EXPECT_FALSE(valid_board_id(bad)) << bad;
}

}  // namespace
}  // namespace kanban
