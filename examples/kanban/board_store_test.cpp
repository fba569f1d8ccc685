// board_store_test.cpp — the board's store kind (board_store.cpp): its op handlers as pure
// functions over a state, each accepted change applied to that state, every refusal checked.
// Built against the installed Cohort like the app (-DKANBAN_TESTS=ON); tests/package runs it.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>

#include "board_store.hpp"
#include "cohort/input.hpp"

namespace kanban {
namespace {

namespace input = cohort::input;
namespace json = cohort::json;
using cohort::Actor;
using cohort::Json;
using cohort::JsonObject;
using cohort::OpRequest;
using cohort::OpResult;

// The parent of pointer's target and its last reference token (no "~" escapes: the board's
// paths hold none).
std::pair<Json*, std::string> parent_of(Json& root, const std::string& pointer) {
  auto slash = pointer.rfind('/');
  Json* parent = slash == 0 ? &root : &root.at_pointer(pointer.substr(0, slash));
  return {parent, pointer.substr(slash + 1)};
}

// The RFC 6902 operations the board writes (add, remove, replace, move), applied in order.
void apply(Json& state, const json::array& patch) {
  for (const auto& op : patch) {
    std::string kind(op.at("op").as_string());
    std::string path(op.at("path").as_string());
    Json value;
    if (kind == "move") {
      auto [from, token] = parent_of(state, std::string(op.at("from").as_string()));
      if (from->is_array()) {
        auto& a = from->as_array();
        value = a.at(std::stoul(token));
        a.erase(a.begin() + static_cast<std::ptrdiff_t>(std::stoul(token)));
      } else {
        value = from->as_object().at(token);
        from->as_object().erase(token);
      }
      kind = "add";
    } else if (kind != "remove") {
      value = op.at("value");
    }
    auto [parent, token] = parent_of(state, path);
    if (parent->is_object()) {
      if (kind == "remove") ASSERT_EQ(parent->as_object().erase(token), 1u) << path;
      else if (kind == "replace") parent->as_object().at(token) = value;
      else parent->as_object()[token] = value;
      continue;
    }
    auto& a = parent->as_array();
    std::size_t at = token == "-" ? a.size() : std::stoul(token);
    ASSERT_LE(at, a.size()) << path;
    if (kind == "remove") a.erase(a.begin() + static_cast<std::ptrdiff_t>(at));
    else if (kind == "replace") a.at(at) = value;
    else a.insert(a.begin() + static_cast<std::ptrdiff_t>(at), value);
  }
}

// One board, changed only through its ops.
struct Board {
  std::uint64_t wip = 2;
  cohort::StoreKind kind = board_kind(wip);
  Json state = kind.initial;

  OpResult run(std::string_view op, const Actor& actor, Json args) {
    OpResult r = kind.ops.at(std::string(op)).apply(OpRequest{actor, args, state, 0});
    if (r.ok) apply(state, r.patch);
    return r;
  }
  std::string add(std::string_view column, std::string_view title, const Actor& who) {
    OpResult r = run("add", who, JsonObject{{"column", column}, {"title", title}});
    EXPECT_TRUE(r.ok) << boost::json::serialize(r.error);
    return "c" + std::to_string(state.at("next").as_int64() - 1);
  }
  Json column(std::string_view id) const { return state.at("columns").at(id); }
  Json card(std::string_view id) const { return state.at("cards").at(id); }
};

const Actor kAna{"p-ana", {}, "Ana"};
const Actor kBo{"p-bo", {}, "Bo"};

std::string reason(const OpResult& r) { return r.ok ? "ok" : std::string(r.error.at("reason").as_string()); }
std::string detail(const OpResult& r) { return r.ok ? "" : input::text(r.error, "detail"); }

TEST(BoardStore, AddPutsACardAtTheBottomOfItsColumnWithTheActorsName) {
  Board b;
  std::string c1 = b.add("todo", "Fix login", kAna);
  OpResult r = b.run("add", kBo, JsonObject{{"column", "todo"}, {"title", "  Write docs  "}, {"text", "two\nlines"},
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
      {{{"column", "todo"}, {"title", "bad \xC3\x28 utf-8"}}, "Titles and texts must be valid UTF-8."},
      {{{"column", "todo"}, {"title", "x"}, {"text", std::string(1001, 'y')}}, "A text is at most 1000 characters."},
      {{{"column", "todo"}, {"title", "x"}, {"text", "bell\x07"}}, "The text holds a control character."},
      {{{"column", "todo"}, {"title", "x"}, {"text", 7}}, "The text must be text."},
  };
  for (const auto& c : cases) {
    OpResult r = b.run("add", kAna, c.args);
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
  OpResult r = b.run("add", kAna, JsonObject{{"column", "todo"}, {"title", "one too many"}});
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
  OpResult same = b.run("move", kBo, JsonObject{{"card", "c2"}, {"column", "done"}, {"position", 0}});
  EXPECT_TRUE(same.ok);
  EXPECT_TRUE(same.patch.empty());
}

TEST(BoardStore, EveryCardChangeWritesUnderTheCardsPathSoItsLockCoversIt) {
  Board b;
  b.add("todo", "a", kAna);
  b.add("todo", "b", kAna);
  auto touches_card = [](const OpResult& r, std::string_view card) {
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
    OpResult r = b.run("move", kAna, c.args);
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
  OpResult moved = b.run("move", kBo, JsonObject{{"card", "c2"}, {"column", "doing"}, {"position", 0}});
  EXPECT_EQ(reason(moved), "invalid");
  EXPECT_EQ(moved.error.at("rule"), "wip_limit");
  EXPECT_EQ(moved.error.at("limit"), 2);
  EXPECT_EQ(moved.error.at("column"), "doing");
  EXPECT_EQ(detail(moved), "Doing already holds 2 cards, its work-in-progress limit. Finish one first.");
  OpResult added = b.run("add", kBo, JsonObject{{"column", "doing"}, {"title", "e"}});
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
  OpResult unchanged = b.run("edit", kAna, JsonObject{{"card", "c1"}, {"title", "Fix sign-in"}, {"text", "on mobile"}});
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
  Board b;
  for (const auto& [name, spec] : b.kind.ops) {
    EXPECT_FALSE(spec.anonymous) << name;
    EXPECT_TRUE(spec.roles.empty()) << name;
  }
  ASSERT_TRUE(b.kind.can_join);
  EXPECT_FALSE(b.kind.can_join(kAna, "main"));
  EXPECT_FALSE(b.kind.can_create);
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
