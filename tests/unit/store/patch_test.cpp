// patch_test.cpp — cohort/patch.hpp (src/store/patch.cpp): RFC 6901 escaping of tokens, paths
// joined from tokens, and each operation builder, proven by what the store's own JSON Patch
// (src/store/json_patch.hpp) does with its output: check_patch accepts it, parse_pointer gives the
// tokens back, apply_patch changes exactly the member named by a token holding '/' and '~'. The
// example of docs/apps.md (an op handler using cohort/input.hpp too) runs here as well.
#include "cohort/patch.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cohort/input.hpp"
#include "cohort/store.hpp"
#include "store/json_patch.hpp"

namespace cohort {
namespace {

namespace input = cohort::input;
namespace patch = cohort::patch;

Json parse(std::string_view text) { return json::parse(text); }

// Tokens a browser or a person may choose as ids: every one must name exactly one member.
const std::vector<std::string> kTokens = {"plain", "a/b", "~", "~0", "~1", "/~/", "", "-", "0", "a~1b",
                                          "\xC3\xA9/\xC3\xBC", "..", "%2F", " ", "a\\b", "\"q\""};

// Applies ops to doc with the store's JSON Patch; the error's reason, or "" when every op applied.
std::string apply(Json& doc, json::array ops) {
  auto error = store::apply_patch(doc, ops);
  return error ? error->reason : std::string();
}

// The example atop cohort/patch.hpp, as written there, in an op handler's shape.
OpResult header_example(std::string_view actor_id, std::string option) {
  namespace patch = cohort::patch;
  cohort::json::array ops{patch::add(patch::path("votes", actor_id), option),  // "/votes/<id>"
                          patch::replace("/closed", true),
                          patch::remove(patch::path("drafts", 3))};           // "/drafts/3"
  return cohort::OpResult::change(std::move(ops));  // from a store op's handler
}

TEST(PatchHeader, ExampleAppliesAsItSays) {
  OpResult r = header_example("ada/lovelace", "tea");
  ASSERT_TRUE(r.ok);
  Json doc = parse(R"({"votes": {}, "closed": false, "drafts": [0, 1, 2, 3, 4]})");
  ASSERT_EQ(apply(doc, r.patch), "");
  EXPECT_EQ(doc, parse(R"({"votes": {"ada/lovelace": "tea"}, "closed": true, "drafts": [0, 1, 2, 4]})"));
}

// The example of docs/apps.md ("Reading browser input and writing patches"), as written there.
cohort::OpResult vote(const cohort::OpRequest& r) {
  std::string option = input::trimmed(input::text(r.args, "option"));
  auto length = input::utf8_length(option);
  if (!length || *length == 0 || *length > 40 || input::has_control(option))
    return cohort::OpResult::reject(cohort::Rejection::invalid, {{"detail", "Pick an option."}});
  return cohort::OpResult::change({patch::add(patch::path("votes", r.actor.id), option),
                                   patch::replace("/count", input::integer(r.state, "count").value_or(0) + 1)});
}

TEST(PatchDocs, VoteExampleAppliesAndRefuses) {
  Json state = parse(R"({"votes": {}, "count": 0})");
  Actor actor;
  actor.id = "u/1~x";  // a token with both characters RFC 6901 escapes
  OpResult ok = vote(OpRequest{actor, parse(R"({"option": "  tea "})"), state, 0});
  ASSERT_TRUE(ok.ok);
  ASSERT_EQ(apply(state, ok.patch), "");
  EXPECT_EQ(state, parse(R"({"votes": {"u/1~x": "tea"}, "count": 1})"));
  for (std::string_view bad : {R"({})", R"({"option": 7})", R"({"option": "a\nb"})", R"({"option": "   "})"}) {
    OpResult refused = vote(OpRequest{actor, parse(bad), state, 1});
    EXPECT_FALSE(refused.ok) << bad;
  }
  OpResult malformed = vote(OpRequest{actor, JsonObject{{"option", "\xC0\xAF"}}, state, 1});  // overlong '/'
  EXPECT_FALSE(malformed.ok);
}

// ---- pointer_token, path -----------------------------------------------------------------------

TEST(PatchPointerToken, EscapesTildeThenSlash) {
  EXPECT_EQ(patch::pointer_token("plain"), "plain");
  EXPECT_EQ(patch::pointer_token("a/b~c"), "a~1b~0c");
  EXPECT_EQ(patch::pointer_token("~1"), "~01");  // not "~1": that would read back as "/"
  EXPECT_EQ(patch::pointer_token("/"), "~1");
  EXPECT_EQ(patch::pointer_token("~"), "~0");
  EXPECT_EQ(patch::pointer_token("//~~"), "~1~1~0~0");
  EXPECT_EQ(patch::pointer_token(""), "");
  EXPECT_EQ(patch::pointer_token("-"), "-");
}

TEST(PatchPointerToken, WritesIndexesAsDecimal) {
  EXPECT_EQ(patch::pointer_token(0), "0");
  EXPECT_EQ(patch::pointer_token(std::size_t{42}), "42");
  EXPECT_EQ(patch::pointer_token(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
}

TEST(PatchPath, JoinsEscapedTokens) {
  EXPECT_EQ(patch::path(), "");
  EXPECT_EQ(patch::path("cards"), "/cards");
  EXPECT_EQ(patch::path("cards", std::string("c/1"), "title"), "/cards/c~11/title");
  EXPECT_EQ(patch::path("strokes", 2, "parts", "-"), "/strokes/2/parts/-");
  EXPECT_EQ(patch::path("a", "", "b"), "/a//b");
  EXPECT_EQ(patch::path(std::string_view("~x")), "/~0x");
}

TEST(PatchPath, ParsesBackToTheSameTokens) {
  for (const auto& token : kTokens) {
    auto parsed = store::parse_pointer(patch::path("m", token, std::size_t{7}));
    ASSERT_TRUE(parsed) << token;
    EXPECT_EQ(*parsed, (std::vector<std::string>{"m", token, "7"})) << token;
  }
}

// ---- the builders, through the store's JSON Patch -------------------------------------------------

TEST(PatchOps, HaveExactlyTheRfcMembers) {
  EXPECT_EQ(Json(patch::add("/a", 1)), parse(R"({"op": "add", "path": "/a", "value": 1})"));
  EXPECT_EQ(Json(patch::replace("/a", "x")), parse(R"({"op": "replace", "path": "/a", "value": "x"})"));
  EXPECT_EQ(Json(patch::test("/a", nullptr)), parse(R"({"op": "test", "path": "/a", "value": null})"));
  EXPECT_EQ(Json(patch::remove("/a")), parse(R"({"op": "remove", "path": "/a"})"));
  EXPECT_EQ(Json(patch::move("/a", "/b")), parse(R"({"op": "move", "from": "/a", "path": "/b"})"));
  EXPECT_EQ(Json(patch::copy("/a", "/b")), parse(R"({"op": "copy", "from": "/a", "path": "/b"})"));
  json::array all{patch::add("/a", 1), patch::replace("/a", 2), patch::test("/a", 2), patch::copy("/a", "/b"),
                  patch::move("/b", "/c"), patch::remove("/c")};
  auto error = store::check_patch(all);
  EXPECT_FALSE(error) << error->reason;
}

TEST(PatchOps, TakeTextAndOtherValuesAsJson) {
  std::string text = "hello";
  const std::string const_text = "const";
  std::string_view view = "view";
  EXPECT_EQ(patch::add("/a", text).at("value"), "hello");
  EXPECT_EQ(text, "hello");  // an lvalue is copied, not moved from
  EXPECT_EQ(patch::add("/a", const_text).at("value"), "const");
  EXPECT_EQ(patch::add("/a", view).at("value"), "view");
  EXPECT_EQ(patch::add("/a", "literal").at("value"), "literal");
  EXPECT_EQ(patch::add("/a", true).at("value"), true);
  EXPECT_EQ(patch::add("/a", std::int64_t{-3}).at("value"), -3);
  EXPECT_EQ(patch::add("/a", 2.5).at("value"), 2.5);
  EXPECT_EQ(patch::add("/a", JsonObject{{"k", 1}}).at("value"), parse(R"({"k": 1})"));
  EXPECT_EQ(patch::add("/a", json::array{1, "x"}).at("value"), parse(R"([1, "x"])"));
  EXPECT_TRUE(patch::add("/a", "literal").at("value").is_string());
}

TEST(PatchOps, AddReplaceTestMoveCopyRemoveTheMemberATokenNames) {
  for (const auto& token : kTokens) {
    SCOPED_TRACE(token);
    Json doc = parse(R"({"m": {"a": 1}, "n": {}})");
    const Json before = doc;
    ASSERT_EQ(apply(doc, {patch::add(patch::path("m", token), token)}), "");
    EXPECT_EQ(doc.at("m").as_object().size(), 2u);
    EXPECT_EQ(doc.at("m").at(token), Json(token));
    EXPECT_EQ(doc.at("m").at("a"), 1);  // nothing else was touched
    ASSERT_EQ(apply(doc, {patch::test(patch::path("m", token), token), patch::replace(patch::path("m", token), 2)}), "");
    EXPECT_EQ(doc.at("m").at(token), 2);
    ASSERT_EQ(apply(doc, {patch::copy(patch::path("m", token), patch::path("n", token))}), "");
    EXPECT_EQ(doc.at("n").at(token), 2);
    ASSERT_EQ(apply(doc, {patch::remove(patch::path("n", token))}), "");
    ASSERT_EQ(apply(doc, {patch::move(patch::path("m", token), patch::path("n", token))}), "");
    EXPECT_FALSE(doc.at("m").as_object().contains(token));
    ASSERT_EQ(apply(doc, {patch::remove(patch::path("n", token))}), "");
    EXPECT_EQ(doc, before);
  }
}

TEST(PatchOps, AnUnescapedTokenWouldNameAnotherPlace) {
  // What path() prevents: pasted unescaped, "a/b" is two tokens, so the add lands inside member
  // "a" (or is refused where there is no "a"); escaped, it adds member "a/b" of "m".
  Json doc = parse(R"({"m": {"a": {}}})");
  ASSERT_EQ(apply(doc, {patch::add("/m/" + std::string("a/b"), 1)}), "");
  EXPECT_EQ(doc, parse(R"({"m": {"a": {"b": 1}}})"));
  ASSERT_EQ(apply(doc, {patch::add(patch::path("m", "a/b"), 1)}), "");
  EXPECT_EQ(doc, parse(R"({"m": {"a": {"b": 1}, "a/b": 1}})"));
}

TEST(PatchOps, IndexesAndTheEndOfAnArray) {
  Json doc = parse(R"({"list": ["a", "b"]})");
  ASSERT_EQ(apply(doc, {patch::add(patch::path("list", 1), "x"), patch::add(patch::path("list", "-"), "z")}), "");
  EXPECT_EQ(doc, parse(R"({"list": ["a", "x", "b", "z"]})"));
  ASSERT_EQ(apply(doc, {patch::move(patch::path("list", 0), patch::path("list", 3))}), "");
  EXPECT_EQ(doc, parse(R"({"list": ["x", "b", "z", "a"]})"));
  ASSERT_EQ(apply(doc, {patch::remove(patch::path("list", std::size_t{1}))}), "");
  EXPECT_EQ(doc, parse(R"({"list": ["x", "z", "a"]})"));
}

TEST(PatchOps, AFailingTestRefusesTheWholeChange) {
  Json doc = parse(R"({"version": 3, "title": "old"})");
  const Json before = doc;
  std::string reason = apply(doc, {patch::replace("/title", "new"), patch::test("/version", 2)});
  EXPECT_NE(reason, "");
  EXPECT_NE(reason.find("op 1 (test)"), std::string::npos) << reason;
  EXPECT_EQ(doc, before);
  EXPECT_EQ(apply(doc, {patch::test("/version", 3), patch::replace("/title", "new")}), "");
  EXPECT_EQ(doc.at("title"), "new");
}

}  // namespace
}  // namespace cohort
