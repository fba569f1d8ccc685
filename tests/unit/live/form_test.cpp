// form_test.cpp — URL-encoded LiveView forms decoded to JSON (src/live/form.cpp).
#include "live/form.hpp"

#include <gtest/gtest.h>

using cohort::JsonObject;
using cohort::json::array;
using cohort::live::decode_form;
using cohort::live::field_path;

TEST(Form, NestsBracketNamesAsPhoenixDoes) {
  // The exact value phoenix_live_view 1.2.12 sends for a change (docs/protocol.md, Events and forms).
  auto f = decode_form("user%5Bname%5D=Bob&user%5B_unused_email%5D=&user%5Bemail%5D=");
  ASSERT_FALSE(f.error);
  EXPECT_EQ(f.fields, (JsonObject{{"user", JsonObject{{"name", "Bob"}, {"_unused_email", ""}, {"email", ""}}}}));
}

TEST(Form, PlusIsSpaceAndPercentEscapesDecode) {
  auto f = decode_form("q=a+b%2Bc&note=caf%C3%A9");
  ASSERT_FALSE(f.error);
  EXPECT_EQ(f.fields, (JsonObject{{"q", "a b+c"}, {"note", "café"}}));
}

TEST(Form, EmptyBracketsCollectAList) {
  auto f = decode_form("tags%5B%5D=a&tags%5B%5D=b&x=1");
  ASSERT_FALSE(f.error);
  EXPECT_EQ(f.fields, (JsonObject{{"tags", array{"a", "b"}}, {"x", "1"}}));
}

TEST(Form, LaterPlainValueWins) {
  auto f = decode_form("a=1&a=2");
  ASSERT_FALSE(f.error);
  EXPECT_EQ(f.fields, (JsonObject{{"a", "2"}}));
}

TEST(Form, ConflictingShapesAreAClearError) {
  auto f = decode_form("a=1&a%5Bb%5D=2");
  ASSERT_TRUE(f.error);
  EXPECT_NE(f.error->find("'a[b]'"), std::string::npos) << *f.error;
  f = decode_form("a%5B%5D=1&a%5Bb%5D=2");
  ASSERT_TRUE(f.error);
}

TEST(Form, BadEscapeIsAnError) {
  auto f = decode_form("a=%zz");
  EXPECT_TRUE(f.error);
}

TEST(Form, FieldPathSplitsTarget) {
  EXPECT_EQ(field_path("user[name]"), (array{"user", "name"}));
  EXPECT_EQ(field_path("title"), (array{"title"}));
  EXPECT_EQ(field_path("a[b][c]"), (array{"a", "b", "c"}));
}

// ---- form_max_depth: a[b][c]... nests one level per bracket, up to the limit --------------

static std::string brackets(std::size_t n) {
  std::string name = "a";
  for (std::size_t i = 0; i < n; ++i) name += "%5Bb%5D";
  return name + "=1";
}

TEST(Form, NamesUpToTheBracketLimitDecode) {
  auto f = decode_form(brackets(3), 3);
  ASSERT_FALSE(f.error) << *f.error;
  EXPECT_EQ(f.fields, (JsonObject{{"a", JsonObject{{"b", JsonObject{{"b", JsonObject{{"b", "1"}}}}}}}}));
  EXPECT_FALSE(decode_form(brackets(32)).error) << "the default limit is 32";
}

TEST(Form, ANameOneBracketDeeperIsRefusedNamingTheSettingAndCounted) {
  const auto before = cohort::net::parser_refusals().form_too_deep.load();
  auto f = decode_form(brackets(4), 3);
  ASSERT_TRUE(f.error);
  EXPECT_NE(f.error->find("nests deeper than form_max_depth (3 brackets)"), std::string::npos) << *f.error;
  EXPECT_EQ(cohort::net::parser_refusals().form_too_deep.load(), before + 1);
  EXPECT_TRUE(decode_form(brackets(33)).error);
}

TEST(Form, AMegabyteOfBracketsIsRefusedQuicklyAndTheErrorQuotesLittleOfIt) {
  // Before the limit this built a value 300,000 levels deep: destroying it overflowed the stack.
  std::string name = "a";
  while (name.size() < (1 << 20)) name += "%5Bb%5D";
  auto f = decode_form(name + "=1");
  ASSERT_TRUE(f.error);
  EXPECT_LT(f.error->size(), 200u) << "the error quotes at most 64 bytes of the name";
  EXPECT_NE(f.error->find("'a[b][b]"), std::string::npos) << *f.error;
}

TEST(Form, FieldPathStopsAtTheSegmentsAskedFor) {
  EXPECT_EQ(field_path("a[b][c][d]", 2), (array{"a", "b"}));
  EXPECT_EQ(field_path("a[b][c][d]"), (array{"a", "b", "c", "d"}));
}
