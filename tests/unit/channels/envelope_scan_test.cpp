// envelope_scan_test.cpp — the envelope scanner of src/channels/serializer.hpp
// (decode_plain_envelope, decode_text's fast path) against the tree it stands in for
// (decode_text_by_tree): on many messages, well-formed and malformed, decode_text must give
// what the tree gives — the same fields, or the same refusal with the same reason and the same
// refusal counted.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "channels/serializer.hpp"

namespace cohort::channels {
namespace {

std::uint64_t refusals() {
  auto& r = net::parser_refusals();
  return r.json_malformed.load() + r.json_too_deep.load() * 1000 + r.json_too_big.load() * 1000000;
}

// decode_text and decode_text_by_tree on text: same result, same refusal counted.
void expect_same(const std::string& text, const net::ParserLimits& limits = {}) {
  SCOPED_TRACE(text);
  InMessage fast, tree;
  std::uint64_t before = refusals();
  auto fast_err = decode_text(text, fast, limits);
  std::uint64_t fast_counted = refusals() - before;
  before = refusals();
  auto tree_err = decode_text_by_tree(text, tree, limits);
  std::uint64_t tree_counted = refusals() - before;
  EXPECT_EQ(fast_counted, tree_counted);
  ASSERT_EQ(fast_err.has_value(), tree_err.has_value());
  if (fast_err) {
    EXPECT_EQ(fast_err->reason, tree_err->reason);
    EXPECT_EQ(fast_err->too_big, tree_err->too_big);
    return;
  }
  EXPECT_EQ(fast.join_ref_json, tree.join_ref_json);
  EXPECT_EQ(fast.ref_json, tree.ref_json);
  EXPECT_EQ(fast.join_ref, tree.join_ref);
  EXPECT_EQ(fast.ref, tree.ref);
  EXPECT_EQ(fast.topic, tree.topic);
  EXPECT_EQ(fast.event, tree.event);
  EXPECT_EQ(fast.payload, tree.payload);
  EXPECT_EQ(fast.is_binary, tree.is_binary);
  EXPECT_EQ(fast.bad_request, tree.bad_request);
}

const std::vector<std::string> kRefs = {"null", R"("1")", R"("12345")", R"("")", R"("a\"b")", R"("é")", "7", "true",
                                        R"("\u0041")", "[]", R"("x\ty")"};
const std::vector<std::string> kNames = {R"("room:echo-12")", R"("phoenix")", R"("")", R"("a\\b")", R"("caf\u00e9")",
                                         R"("ünï")", "null", "3", "{}", R"("t\n")"};
const std::vector<std::string> kPayloads = {
    R"({"n":12})", "{}", "[]", "null", "1e400", "-0", R"({"a":[1,2,{"b":"c"}],"d":1.5})", R"("s")", "1.5e308",
    R"({"a":1},"extra",7)", "", "{", R"({"a":1}})", "[[[[[[[[[[1]]]]]]]]]]", R"({"a":"\ud800"})", "tru"};
const std::vector<std::string> kSpaces = {"", " ", "\n\t ", "\r"};

TEST(EnvelopeScan, TakesThePlainMessagesClientsSend) {
  InMessage m;
  EXPECT_TRUE(decode_plain_envelope(R"(["1","2","room:echo-3","ping",{"n":3}])", m, {}));
  EXPECT_EQ(m.topic, "room:echo-3");
  EXPECT_EQ(m.ref_json, R"("2")");
  InMessage hb;
  EXPECT_TRUE(decode_plain_envelope(R"([null,"5","phoenix","heartbeat",{}])", hb, {}));
  EXPECT_EQ(hb.join_ref_json, "null");
  EXPECT_FALSE(hb.join_ref);
}

TEST(EnvelopeScan, LeavesEverythingUnusualToTheTree) {
  for (const char* text : {R"([1,"2","t","e",{}])", R"(["a\"b","2","t","e",{}])", R"(["1","2","t","e",{}])x",
                           R"(["1","2","t","e",{},5])", R"(["1","2","t","e",1e999])", R"({"a":1})", "",
                           R"(["1","2","caf\u00e9","e",{}])"}) {
    InMessage m;
    m.topic = "untouched";
    EXPECT_FALSE(decode_plain_envelope(text, m, {})) << text;
    EXPECT_EQ(m.topic, "untouched") << text;
  }
}

TEST(EnvelopeScan, SameAsTheTreeOnEveryCombination) {
  for (const auto& jr : kRefs)
    for (const auto& r : {kRefs[1], kRefs[0], kRefs[6], kRefs[4]})
      for (const auto& t : kNames)
        for (const auto& e : {kNames[1], kNames[3], kNames[6]})
          for (const auto& p : kPayloads) expect_same("[" + jr + "," + r + "," + t + "," + e + "," + p + "]");
}

TEST(EnvelopeScan, SameAsTheTreeWithWhitespaceAndWrongShapes) {
  for (const auto& a : kSpaces)
    for (const auto& b : kSpaces) {
      expect_same(a + "[" + b + R"("1")" + a + "," + b + R"("2",")" + "t" + R"(",)" + a + R"("e")" + b + "," + a +
                  R"({"n":1})" + b + "]" + a);
      expect_same(a + R"(["1","2","t","e",{"n":1}])" + b);
    }
  for (const char* text : {"[]", "[null]", R"(["1","2","t","e"])", R"(["1","2","t","e",])", R"(["1","2","t","e",{}]])",
                           R"(["1","2","t","e" {}])", R"(["1";"2","t","e",{}])", R"(["1","2","t","e",{}] ])", "]", "[",
                           R"(nul,"2","t","e",{}])", R"([nullnull,"2","t","e",{}])", R"(["1","2","t","e",{}])",
                           R"({"topic":"t"})", "42", "null", "not json"})
    expect_same(text);
}

TEST(EnvelopeScan, SameAsTheTreeUnderTightLimits) {
  const std::string text = R"(["1","2","t","e",{"a":[{"b":[]}]}])";
  for (std::uint32_t depth : {0u, 1u, 2u, 3u, 4u, 5u})
    for (std::size_t bytes : {std::size_t{0}, std::size_t{10}, text.size() - 1, text.size(), std::size_t{1} << 20})
      expect_same(text, net::ParserLimits{depth, bytes, 32});
  expect_same(R"(["1","2","t","e",5])", net::ParserLimits{1, 1 << 20, 32});
  expect_same(R"(["1","2","t","e",[]])", net::ParserLimits{1, 1 << 20, 32});
}

TEST(EnvelopeScan, SameAsTheTreeOnRandomMutations) {
  // Seeds of both kinds, then bytes flipped, dropped, duplicated and cut at random.
  const std::vector<std::string> seeds = {R"(["1","2","room:echo-3","ping",{"n":3}])",
                                          R"([null,"5","phoenix","heartbeat",{}])",
                                          R"(["9","10","room:lobby","new_msg",{"body":"hi","n":[1,2.5,null,true]}])",
                                          R"([ "1" , null , "t" , "e" , [ {"a" : "b"} ] ])"};
  const std::string alphabet = "[]{},:\"\\ nul0123456789.eE+-tfrs\x01\x7f\xc3\xa9";
  std::mt19937_64 rng(20261205);
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      std::size_t at = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(at, 1); break;
        case 2: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 3: s.resize(at); break;
      }
    }
    expect_same(s);
    if (HasFailure()) return;  // one counterexample is enough to read
  }
}

}  // namespace
}  // namespace cohort::channels
