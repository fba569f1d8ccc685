// json_patch_test.cpp — src/store/json_patch.hpp: the RFC 6902 Appendix A examples, the RFC's
// edge cases, all-or-nothing rollback (byte-identical documents, including a seeded random
// run), pointers, overlap, check_patch errors, and cost measured in allocations, not time.
#include "store/json_patch.hpp"

#include <boost/container/pmr/memory_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <new>
#include <random>

namespace cohort::store {
namespace {

Json parse(std::string_view text) { return json::parse(text); }
json::array ops(std::string_view text) { return json::parse(text).as_array(); }

// Applies patch to doc; the error, or nullopt.
std::optional<PatchError> run(Json& doc, std::string_view patch) {
  return apply_patch(doc, ops(patch));
}

// Applies a patch that must fail at op `index`, and checks doc is byte-identical afterwards.
void expect_refused(Json& doc, std::string_view patch, std::size_t index) {
  std::string before = json::serialize(doc);
  auto error = run(doc, patch);
  ASSERT_TRUE(error) << "patch applied: " << patch;
  EXPECT_EQ(error->op_index, index) << error->reason;
  EXPECT_EQ(json::serialize(doc), before) << error->reason;
}

// ---- RFC 6902 Appendix A ---------------------------------------------------------------------

TEST(JsonPatchRfc, A1AddingAnObjectMember) {
  Json doc = parse(R"({"foo":"bar"})");
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/baz","value":"qux"}])"));
  EXPECT_EQ(doc, parse(R"({"baz":"qux","foo":"bar"})"));
}

TEST(JsonPatchRfc, A2AddingAnArrayElement) {
  Json doc = parse(R"({"foo":["bar","baz"]})");
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/foo/1","value":"qux"}])"));
  EXPECT_EQ(doc, parse(R"({"foo":["bar","qux","baz"]})"));
}

TEST(JsonPatchRfc, A3RemovingAnObjectMember) {
  Json doc = parse(R"({"baz":"qux","foo":"bar"})");
  EXPECT_FALSE(run(doc, R"([{"op":"remove","path":"/baz"}])"));
  EXPECT_EQ(doc, parse(R"({"foo":"bar"})"));
}

TEST(JsonPatchRfc, A4RemovingAnArrayElement) {
  Json doc = parse(R"({"foo":["bar","qux","baz"]})");
  EXPECT_FALSE(run(doc, R"([{"op":"remove","path":"/foo/1"}])"));
  EXPECT_EQ(doc, parse(R"({"foo":["bar","baz"]})"));
}

TEST(JsonPatchRfc, A5ReplacingAValue) {
  Json doc = parse(R"({"baz":"qux","foo":"bar"})");
  EXPECT_FALSE(run(doc, R"([{"op":"replace","path":"/baz","value":"boo"}])"));
  EXPECT_EQ(doc, parse(R"({"baz":"boo","foo":"bar"})"));
}

TEST(JsonPatchRfc, A6MovingAValue) {
  Json doc = parse(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})");
  EXPECT_FALSE(run(doc, R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"));
  EXPECT_EQ(doc, parse(R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"));
}

TEST(JsonPatchRfc, A7MovingAnArrayElement) {
  Json doc = parse(R"({"foo":["all","grass","cows","eat"]})");
  EXPECT_FALSE(run(doc, R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"));
  EXPECT_EQ(doc, parse(R"({"foo":["all","cows","eat","grass"]})"));
}

TEST(JsonPatchRfc, A8TestingAValueSuccess) {
  Json doc = parse(R"({"baz":"qux","foo":["a",2,"c"]})");
  EXPECT_FALSE(run(doc, R"([{"op":"test","path":"/baz","value":"qux"},
                            {"op":"test","path":"/foo/1","value":2}])"));
  EXPECT_EQ(doc, parse(R"({"baz":"qux","foo":["a",2,"c"]})"));
}

TEST(JsonPatchRfc, A9TestingAValueError) {
  Json doc = parse(R"({"baz":"qux"})");
  expect_refused(doc, R"([{"op":"test","path":"/baz","value":"bar"}])", 0);
}

TEST(JsonPatchRfc, A10AddingANestedMemberObject) {
  Json doc = parse(R"({"foo":"bar"})");
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"));
  EXPECT_EQ(doc, parse(R"({"foo":"bar","child":{"grandchild":{}}})"));
}

TEST(JsonPatchRfc, A11IgnoringUnrecognizedElements) {
  Json doc = parse(R"({"foo":"bar"})");
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"));
  EXPECT_EQ(doc, parse(R"({"foo":"bar","baz":"qux"})"));
}

TEST(JsonPatchRfc, A12AddingToANonexistentTarget) {
  Json doc = parse(R"({"foo":"bar"})");
  expect_refused(doc, R"([{"op":"add","path":"/baz/bat","value":"qux"}])", 0);
  EXPECT_EQ(run(doc, R"([{"op":"add","path":"/baz/bat","value":"qux"}])")->reason,
            "op 0 (add): path /baz/bat: /baz does not exist");
}

// A duplicate "op" is a parse-level matter: Boost.JSON keeps the last one, so this patch reaches
// apply_patch as a "remove" of a member that does not exist, and is refused either way.
TEST(JsonPatchRfc, A13InvalidJsonPatchDocument) {
  Json doc = parse(R"({"foo":"bar"})");
  json::array patch = ops(R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])");
  ASSERT_EQ(patch[0].at("op"), "remove");
  auto error = apply_patch(doc, patch);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->reason, "op 0 (remove): path /baz does not exist");
  EXPECT_EQ(doc, parse(R"({"foo":"bar"})"));
}

TEST(JsonPatchRfc, A14EscapeOrdering) {
  Json doc = parse(R"({"/":9,"~1":10})");
  EXPECT_FALSE(run(doc, R"([{"op":"test","path":"/~01","value":10}])"));
  EXPECT_EQ(doc, parse(R"({"/":9,"~1":10})"));
}

TEST(JsonPatchRfc, A15ComparingStringsAndNumbers) {
  Json doc = parse(R"({"/":9,"~1":10})");
  expect_refused(doc, R"([{"op":"test","path":"/~01","value":"10"}])", 0);
}

TEST(JsonPatchRfc, A16AddingAnArrayValue) {
  Json doc = parse(R"({"foo":["bar"]})");
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"));
  EXPECT_EQ(doc, parse(R"({"foo":["bar",["abc","def"]]})"));
}

// ---- RFC 6902 edge cases ---------------------------------------------------------------------

TEST(JsonPatch, ArrayIndexesForAdd) {
  Json doc = parse(R"({"a":[1,2]})");
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/a/2","value":3}])"));  // == size: appends
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/a/-","value":4}])"));
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/a/0","value":0}])"));
  EXPECT_EQ(json::serialize(doc), R"({"a":[0,1,2,3,4]})");
  expect_refused(doc, R"([{"op":"add","path":"/a/6","value":9}])", 0);
  EXPECT_EQ(run(doc, R"([{"op":"add","path":"/a/6","value":9}])")->reason,
            "op 0 (add): path /a/6 is past the end of the array (size 5)");
  expect_refused(doc, R"([{"op":"add","path":"/a/01","value":9}])", 0);
  expect_refused(doc, R"([{"op":"add","path":"/a/+1","value":9}])", 0);
  expect_refused(doc, R"([{"op":"add","path":"/a/-1","value":9}])", 0);
  expect_refused(doc, R"([{"op":"add","path":"/a/99999999999999999999999","value":9}])", 0);
  EXPECT_EQ(run(doc, R"([{"op":"add","path":"/a/01","value":9}])")->reason,
            "op 0 (add): path /a/01: \"01\" is not an array index");
}

TEST(JsonPatch, ArrayIndexesForRemoveReplaceAndTest) {
  Json doc = parse(R"({"items":[1,2,3]})");
  expect_refused(doc, R"([{"op":"remove","path":"/items/-"}])", 0);
  expect_refused(doc, R"([{"op":"remove","path":"/items/3"}])", 0);
  expect_refused(doc, R"([{"op":"remove","path":"/items/00"}])", 0);
  expect_refused(doc, R"([{"op":"test","path":"/items/-","value":3}])", 0);
  expect_refused(doc, R"([{"op":"test","path":"/items/01","value":2}])", 0);
  auto error = run(doc, R"([{"op":"test","path":"/items/0","value":1},
                           {"op":"test","path":"/items/1","value":2},
                           {"op":"replace","path":"/items/7","value":0}])");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->op_index, 2u);
  EXPECT_EQ(error->reason, "op 2 (replace): path /items/7 does not exist (array size 3)");
}

TEST(JsonPatch, AddToAnExistingMemberReplacesItInPlace) {
  Json doc = parse(R"({"a":1,"b":2,"c":3})");
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"/b","value":{"x":true}}])"));
  EXPECT_EQ(json::serialize(doc), R"({"a":1,"b":{"x":true},"c":3})");
}

TEST(JsonPatch, RemoveAndReplaceNeedAnExistingTarget) {
  Json doc = parse(R"({"a":{"b":1}})");
  expect_refused(doc, R"([{"op":"remove","path":"/a/c"}])", 0);
  expect_refused(doc, R"([{"op":"replace","path":"/a/c","value":1}])", 0);
  expect_refused(doc, R"([{"op":"replace","path":"/x/y","value":1}])", 0);
  EXPECT_EQ(run(doc, R"([{"op":"replace","path":"/x/y","value":1}])")->reason,
            "op 0 (replace): path /x/y: /x does not exist");
  EXPECT_EQ(run(doc, R"([{"op":"add","path":"/a/b/c","value":1}])")->reason,
            "op 0 (add): path /a/b/c: /a/b is a number, not an object or array");
}

TEST(JsonPatch, MoveIntoItsOwnChildIsRefused) {
  Json doc = parse(R"({"a":{"b":{}}})");
  expect_refused(doc, R"([{"op":"move","from":"/a","path":"/a/b/c"}])", 0);
  EXPECT_EQ(run(doc, R"([{"op":"move","from":"/a","path":"/a/b"}])")->reason,
            "op 0 (move): cannot move /a into its own child /a/b");
  expect_refused(doc, R"([{"op":"move","from":"","path":"/a"}])", 0);
}

TEST(JsonPatch, MoveEdgeCases) {
  Json doc = parse(R"({"a":{"b":{"c":1}},"s":"x"})");
  EXPECT_FALSE(run(doc, R"([{"op":"move","from":"/a","path":"/a"}])"));  // same place: no-op
  EXPECT_EQ(json::serialize(doc), R"({"a":{"b":{"c":1}},"s":"x"})");
  expect_refused(doc, R"([{"op":"move","from":"/zz","path":"/zz"}])", 0);  // from must exist
  expect_refused(doc, R"([{"op":"move","from":"/zz","path":"/y"}])", 0);
  EXPECT_EQ(run(doc, R"([{"op":"move","from":"/zz","path":"/y"}])")->reason,
            "op 0 (move): from /zz does not exist");
  EXPECT_FALSE(run(doc, R"([{"op":"move","from":"/a/b","path":"/a"}])"));  // onto its ancestor
  EXPECT_EQ(json::serialize(doc), R"({"a":{"c":1},"s":"x"})");
  EXPECT_FALSE(run(doc, R"([{"op":"move","from":"/a","path":""}])"));  // onto the root
  EXPECT_EQ(json::serialize(doc), R"({"c":1})");
}

TEST(JsonPatch, CopyIsDeepAndMayTargetItsOwnChild) {
  Json doc = parse(R"({"a":{"x":[1]}})");
  EXPECT_FALSE(run(doc, R"([{"op":"copy","from":"/a","path":"/a/self"},
                            {"op":"add","path":"/a/x/-","value":2}])"));
  EXPECT_EQ(doc, parse(R"({"a":{"x":[1,2],"self":{"x":[1]}}})"));
  expect_refused(doc, R"([{"op":"copy","from":"/nope","path":"/b"}])", 0);
}

TEST(JsonPatch, RootCanBeReplacedAndAddedNotRemoved) {
  Json doc = parse(R"({"a":1})");
  EXPECT_FALSE(run(doc, R"([{"op":"replace","path":"","value":[1,2]}])"));
  EXPECT_EQ(doc, parse("[1,2]"));
  EXPECT_FALSE(run(doc, R"([{"op":"add","path":"","value":{"b":2}},
                            {"op":"test","path":"","value":{"b":2.0}}])"));
  EXPECT_EQ(doc, parse(R"({"b":2})"));
  expect_refused(doc, R"([{"op":"remove","path":""}])", 0);
}

TEST(JsonPatch, TestUsesJsonEquality) {
  Json doc = parse(R"({"i":1,"d":1.0,"big":18446744073709551615,"neg":-3,
                      "o":{"x":1,"y":[1,{"z":2}]},"arr":[1,2],"n":null,"t":true})");
  EXPECT_FALSE(run(doc, R"([{"op":"test","path":"/i","value":1.0},
                            {"op":"test","path":"/d","value":1},
                            {"op":"test","path":"/neg","value":-3.0},
                            {"op":"test","path":"/big","value":18446744073709551615},
                            {"op":"test","path":"/o","value":{"y":[1.0,{"z":2.0}],"x":1}},
                            {"op":"test","path":"/n","value":null},
                            {"op":"test","path":"/t","value":true}])"));
  expect_refused(doc, R"([{"op":"test","path":"/i","value":1.5}])", 0);
  expect_refused(doc, R"([{"op":"test","path":"/i","value":true}])", 0);
  expect_refused(doc, R"([{"op":"test","path":"/n","value":0}])", 0);
  expect_refused(doc, R"([{"op":"test","path":"/arr","value":[2,1]}])", 0);
  expect_refused(doc, R"([{"op":"test","path":"/o","value":{"x":1}}])", 0);
  expect_refused(doc, R"([{"op":"test","path":"/o","value":{"x":1,"y":[1,{"z":2}],"w":0}}])", 0);
  // 2^53 + 1 is not the double 2^53, though converting it to double would say so.
  Json big = parse(R"({"v":9007199254740993})");
  expect_refused(big, R"([{"op":"test","path":"/v","value":9007199254740992.0}])", 0);
  EXPECT_FALSE(run(big, R"([{"op":"test","path":"/v","value":9007199254740993}])"));
}

TEST(JsonPatch, EmptyPatchChangesNothing) {
  Json doc = parse(R"({"a":1})");
  EXPECT_FALSE(run(doc, "[]"));
  EXPECT_EQ(json::serialize(doc), R"({"a":1})");
}

// ---- All or nothing --------------------------------------------------------------------------

const char* kDoc = R"({"a":{"x":1,"y":2,"z":3},"arr":[10,20,30,40],"s":"str","n":null,"e":{}})";

TEST(JsonPatchAtomicity, ThirdOpFailsAfterAddAndRemove) {
  Json doc = parse(kDoc);
  expect_refused(doc, R"([{"op":"add","path":"/new","value":[1,2]},
                          {"op":"remove","path":"/a/x"},
                          {"op":"replace","path":"/missing","value":0}])", 2);
}

TEST(JsonPatchAtomicity, ThirdOpFailsAfterMoves) {
  Json doc = parse(kDoc);
  expect_refused(doc, R"([{"op":"move","from":"/a/x","path":"/arr/0"},
                          {"op":"move","from":"/arr/4","path":"/a/y"},
                          {"op":"test","path":"/s","value":"other"}])", 2);
}

TEST(JsonPatchAtomicity, RemovedMembersReturnToTheirPlace) {
  Json doc = parse(kDoc);
  expect_refused(doc, R"([{"op":"remove","path":"/a"},
                          {"op":"remove","path":"/arr/1"},
                          {"op":"remove","path":"/s"},
                          {"op":"add","path":"/a","value":"appended"},
                          {"op":"remove","path":"/nope"}])", 4);
}

TEST(JsonPatchAtomicity, FailsAfterRootReplaceAndMoveToRoot) {
  Json doc = parse(kDoc);
  expect_refused(doc, R"([{"op":"replace","path":"","value":{"q":1}},
                          {"op":"add","path":"/r","value":2},
                          {"op":"remove","path":"/zzz"}])", 2);
  expect_refused(doc, R"([{"op":"move","from":"/a","path":""},
                          {"op":"copy","from":"/x","path":"/x2"},
                          {"op":"test","path":"/x2","value":2}])", 2);
}

TEST(JsonPatchAtomicity, FailsAfterMoveOntoAncestorAndCopy) {
  Json doc = parse(R"({"a":{"b":{"c":[1,2,{"d":4}]},"k":0},"z":9})");
  expect_refused(doc, R"([{"op":"move","from":"/a/b/c/2","path":"/a"},
                          {"op":"copy","from":"/a","path":"/z"},
                          {"op":"add","path":"/z/e","value":5},
                          {"op":"move","from":"/z","path":"/a/d"},
                          {"op":"add","path":"/a/d/e/f","value":0}])", 4);
}

TEST(JsonPatchAtomicity, MalformedOpLaterInThePatchAppliesNothing) {
  Json doc = parse(kDoc);
  expect_refused(doc, R"([{"op":"add","path":"/b","value":1},
                          {"op":"add","path":"b","value":1}])", 1);
}

// The seeded random run: builds patches whose every op applies (checked one op at a time on a
// scratch copy), appends an op that fails, and expects the document untouched; the same patch
// without the failing op must give the scratch result.
struct RandomPatches {
  std::mt19937 rng{20240611};

  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
  }

  Json small_value() {
    static const char* const kValues[] = {"1", "2.5", "\"s\"", "null", "true", "[]", "{}",
                                          R"({"k":[1,{"m":2}]})", "[[0],1]"};
    return parse(kValues[pick(std::size(kValues))]);
  }

  // Every pointer in v, "" first.
  static void pointers(const Json& v, const std::string& at, std::vector<std::string>& out) {
    out.push_back(at);
    if (const JsonObject* obj = v.if_object())
      for (const auto& m : *obj)
        pointers(m.value(), at + make_pointer({std::string(m.key())}), out);
    if (const json::array* arr = v.if_array())
      for (std::size_t i = 0; i < arr->size(); ++i)
        pointers((*arr)[i], at + "/" + std::to_string(i), out);
  }

  Json random_op(const Json& doc) {
    std::vector<std::string> at;
    pointers(doc, "", at);
    std::string path = at[pick(at.size())], from = at[pick(at.size())];
    static const char* const kNames[] = {"add", "add", "remove", "replace", "move", "copy", "test"};
    std::string name = kNames[pick(std::size(kNames))];
    if (name == "add" || name == "move" || name == "copy") {  // add under path, not at it
      static const char* const kLast[] = {"/-", "/0", "/1", "/new", "/x", "/y"};
      path += kLast[pick(std::size(kLast))];
    }
    JsonObject op{{"op", name}, {"path", path}};
    if (name == "move" || name == "copy") op["from"] = from;
    if (name == "test") op["value"] = doc.at_pointer(path);
    else op["value"] = small_value();
    return op;
  }
};

TEST(JsonPatchAtomicity, SeededRandomPatchesRollBackExactly) {
  RandomPatches gen;
  int applied_ops = 0;
  for (int round = 0; round < 300; ++round) {
    Json doc = parse(kDoc);
    Json scratch = doc;
    json::array patch;
    for (int tries = 0; tries < 12; ++tries) {
      Json op = gen.random_op(scratch);
      if (!apply_patch(scratch, json::array{op})) patch.push_back(std::move(op));
    }
    applied_ops += static_cast<int>(patch.size());
    Json whole = doc;
    ASSERT_FALSE(apply_patch(whole, patch)) << json::serialize(patch);
    ASSERT_EQ(json::serialize(whole), json::serialize(scratch)) << json::serialize(patch);
    patch.push_back(parse(R"({"op":"test","path":"","value":"never"})"));
    std::string before = json::serialize(doc);
    auto error = apply_patch(doc, patch);
    ASSERT_TRUE(error);
    ASSERT_EQ(error->op_index, patch.size() - 1) << error->reason;
    ASSERT_EQ(json::serialize(doc), before) << json::serialize(patch);
  }
  EXPECT_GT(applied_ops, 1500);  // the run exercised rollback of many successful ops
}

// ---- Pointers and overlap --------------------------------------------------------------------

using Segments = std::vector<std::string>;

TEST(JsonPointer, ParsesRfc6901Examples) {
  EXPECT_EQ(parse_pointer(""), Segments{});
  EXPECT_EQ(parse_pointer("/foo"), Segments{"foo"});
  EXPECT_EQ(parse_pointer("/foo/0"), (Segments{"foo", "0"}));
  EXPECT_EQ(parse_pointer("/"), Segments{""});
  EXPECT_EQ(parse_pointer("/a~1b"), Segments{"a/b"});
  EXPECT_EQ(parse_pointer("/m~0n"), Segments{"m~n"});
  EXPECT_EQ(parse_pointer("/~01"), Segments{"~1"});
  EXPECT_EQ(parse_pointer("/~10"), Segments{"/0"});
  EXPECT_EQ(parse_pointer("/a/b~1c/0"), (Segments{"a", "b/c", "0"}));
  EXPECT_EQ(parse_pointer("//x/"), (Segments{"", "x", ""}));
  EXPECT_EQ(parse_pointer("/ "), Segments{" "});
}

TEST(JsonPointer, RefusesMalformedText) {
  EXPECT_FALSE(parse_pointer("foo"));
  EXPECT_FALSE(parse_pointer("#/foo"));
  EXPECT_FALSE(parse_pointer("/~"));
  EXPECT_FALSE(parse_pointer("/a~"));
  EXPECT_FALSE(parse_pointer("/~2"));
  EXPECT_FALSE(parse_pointer("/a~x/b"));
}

TEST(JsonPointer, MakePointerEscapesAndRoundTrips) {
  EXPECT_EQ(make_pointer({}), "");
  EXPECT_EQ(make_pointer({"a/b", "m~n", "", "~1"}), "/a~1b/m~0n//~01");
  Segments segments{"x", "~/~/", "0"};
  EXPECT_EQ(parse_pointer(make_pointer(segments)), segments);
}

TEST(JsonPointer, PathsOverlapOnSegmentBoundaries) {
  EXPECT_TRUE(paths_overlap("/a", "/a"));
  EXPECT_TRUE(paths_overlap("/a", "/a/b"));
  EXPECT_TRUE(paths_overlap("/a/b", "/a"));
  EXPECT_TRUE(paths_overlap("", "/a/b"));
  EXPECT_TRUE(paths_overlap("/x", ""));
  EXPECT_TRUE(paths_overlap("", ""));
  EXPECT_TRUE(paths_overlap("/", "//x"));
  EXPECT_FALSE(paths_overlap("/a/b", "/a/bc"));
  EXPECT_FALSE(paths_overlap("/a", "/ab"));
  EXPECT_FALSE(paths_overlap("/a/b", "/a/c"));
  EXPECT_FALSE(paths_overlap("/a~1b", "/a"));  // member "a/b" is not under member "a"
  EXPECT_FALSE(paths_overlap("/", "/a"));
}

// ---- check_patch -----------------------------------------------------------------------------

// The reason check_patch gives for patch, or "" when it accepts it.
std::string check(std::string_view patch) {
  auto error = check_patch(ops(patch));
  return error ? error->reason : "";
}

TEST(JsonPatchCheck, AcceptsWellFormedPatches) {
  EXPECT_EQ(check(R"([{"op":"add","path":"/a","value":null},{"op":"remove","path":"/a"},
                      {"op":"replace","path":"","value":1},{"op":"move","from":"/a","path":"/b"},
                      {"op":"copy","from":"/b","path":"/b/c"},{"op":"test","path":"/~0","value":[]},
                      {"op":"move","from":"/a/b","path":"/a"}])"), "");
  EXPECT_EQ(check("[]"), "");
}

TEST(JsonPatchCheck, NamesTheOpAndTheFault) {
  EXPECT_EQ(check(R"([5])"), "op 0: not an object");
  EXPECT_EQ(check(R"([{"path":"/a"}])"), "op 0: missing \"op\"");
  EXPECT_EQ(check(R"([{"op":1,"path":"/a"}])"), "op 0: \"op\" is not a string");
  EXPECT_EQ(check(R"([{"op":"frob","path":"/a"}])"), "op 0: unknown op \"frob\"");
  EXPECT_EQ(check(R"([{"op":"ADD","path":"/a","value":1}])"), "op 0: unknown op \"ADD\"");
  EXPECT_EQ(check(R"([{"op":"remove"}])"), "op 0 (remove): missing \"path\"");
  EXPECT_EQ(check(R"([{"op":"remove","path":3}])"), "op 0 (remove): \"path\" is not a string");
  EXPECT_EQ(check(R"([{"op":"remove","path":"a"}])"),
            "op 0 (remove): path \"a\" is not a JSON pointer: it must be empty or start with '/'");
  EXPECT_EQ(check(R"([{"op":"remove","path":"/~2"}])"),
            "op 0 (remove): path \"/~2\" is not a JSON pointer: '~' must be followed by 0 or 1");
  EXPECT_EQ(check(R"([{"op":"add","path":"/a"}])"), "op 0 (add): missing \"value\"");
  EXPECT_EQ(check(R"([{"op":"replace","path":"/a"}])"), "op 0 (replace): missing \"value\"");
  EXPECT_EQ(check(R"([{"op":"test","path":"/a"}])"), "op 0 (test): missing \"value\"");
  EXPECT_EQ(check(R"([{"op":"move","path":"/a"}])"), "op 0 (move): missing \"from\"");
  EXPECT_EQ(check(R"([{"op":"copy","path":"/a","from":"x"}])"),
            "op 0 (copy): from \"x\" is not a JSON pointer: it must be empty or start with '/'");
  EXPECT_EQ(check(R"([{"op":"move","path":"/a/b/c","from":"/a"}])"),
            "op 0 (move): cannot move /a into its own child /a/b/c");
  EXPECT_EQ(check(R"([{"op":"test","path":"/a","value":1},{"op":"add","path":"/b"}])"),
            "op 1 (add): missing \"value\"");
  EXPECT_EQ(check_patch(ops(R"([{"op":"test","path":"/a","value":1},{"op":"x"}])"))->op_index, 1u);
}

// ---- Cost: counted in allocations, not timed --------------------------------------------------

// Counts what a document allocates through its memory resource.
class CountingResource : public json::memory_resource {
 public:
  std::size_t bytes = 0;

 private:
  void* do_allocate(std::size_t n, std::size_t align) override {
    bytes += n;
    return ::operator new(n, std::align_val_t(align));
  }
  void do_deallocate(void* p, std::size_t n, std::size_t align) override {
    ::operator delete(p, n, std::align_val_t(align));
  }
  bool do_is_equal(const json::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

std::string items_doc(int n) {
  std::string text = R"({"meta":{"name":"n"},"items":[)";
  for (int i = 0; i < n; ++i)
    text += std::string(i ? "," : "") + R"({"id":)" + std::to_string(i) + R"(,"tags":["t"]})";
  return text + "]}";
}

// Bytes the document's resource allocates while patch is applied to a document of n items.
std::size_t bytes_for_patch(int n, std::string_view patch, bool expect_ok) {
  CountingResource resource;
  Json doc = json::parse(items_doc(n), json::storage_ptr(&resource));
  resource.bytes = 0;
  auto error = apply_patch(doc, ops(patch));
  EXPECT_EQ(!error, expect_ok) << (error ? error->reason : "applied");
  return resource.bytes;
}

// A patch costs the same on 10 items as on 100,000: nothing proportional to the document is
// allocated (the undo log uses the ordinary heap and is sized by the patch alone).
TEST(JsonPatchCost, AllocationDoesNotGrowWithTheDocument) {
  const char* ok = R"([{"op":"replace","path":"/items/5/tags/0","value":"long enough to allocate"},
                       {"op":"add","path":"/meta/owner","value":{"a":[1,2,3]}},
                       {"op":"move","from":"/items/7/tags","path":"/meta/tags"},
                       {"op":"test","path":"/items/5/id","value":5},
                       {"op":"remove","path":"/items/3"}])";
  std::size_t small = bytes_for_patch(10, ok, true);
  EXPECT_GT(small, 0u);  // the counter sees the values the patch brings in
  EXPECT_EQ(bytes_for_patch(100'000, ok, true), small);
  EXPECT_LT(small, 4096u);
  std::string failing = std::string(ok);
  failing.insert(failing.size() - 1, R"(,{"op":"remove","path":"/nope"})");
  std::size_t small_failed = bytes_for_patch(10, failing, false);
  EXPECT_EQ(bytes_for_patch(100'000, failing, false), small_failed);
  EXPECT_LT(small_failed, 4096u);
}

// The counter would catch a copy of the document: copying 100,000 items allocates megabytes.
TEST(JsonPatchCost, CounterSeesADocumentCopy) {
  CountingResource resource;
  Json doc = json::parse(items_doc(100'000));
  resource.bytes = 0;
  Json copy(doc, json::storage_ptr(&resource));
  EXPECT_GT(resource.bytes, 1'000'000u);
}

}  // namespace
}  // namespace cohort::store
