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
