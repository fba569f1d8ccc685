// query_test.cpp — URL-encoded lists (src/net/query.cpp).
#include "net/query.hpp"

#include <gtest/gtest.h>

#include <vector>

using cohort::net::parse_query;

TEST(Query, DecodesKeysAndValuesWithPlusAsSpace) {
  auto q = parse_query("a=1&b=x+y%21&c&d=");
  ASSERT_FALSE(q.error);
  ASSERT_EQ(q.params.size(), 4u);
  EXPECT_EQ(q.params[1].key, "b");
  EXPECT_EQ(q.params[1].value, "x y!");
  EXPECT_FALSE(q.params[2].has_value);
  EXPECT_TRUE(q.params[3].has_value);
  EXPECT_EQ(q.params[3].value, "");
}

// The regression: a view that is not NUL-terminated (an HTTP target's query inside the request
// buffer) must be read to its length only. Boost.URL's parse_query alone strlen()s past it: an
// AddressSanitizer build (-fsanitize=address) of this test reports that as heap-buffer-overflow.
TEST(Query, ReadsOnlyTheViewNotWhatFollowsIt) {
  std::string_view text = "vsn=2.0.0&evil=1";
  std::vector<char> heap(text.begin(), text.end());  // no NUL anywhere
  auto q = parse_query(std::string_view(heap.data(), 9));
  ASSERT_FALSE(q.error);
  ASSERT_EQ(q.params.size(), 1u);
  EXPECT_EQ(q.params[0].key, "vsn");
  EXPECT_EQ(q.params[0].value, "2.0.0");
}

TEST(Query, EmptyAndNullViewsHaveNoParams) {
  EXPECT_TRUE(parse_query("").params.empty());
  EXPECT_TRUE(parse_query(std::string_view()).params.empty());
}

TEST(Query, MalformedIsAnError) {
  EXPECT_TRUE(parse_query("a=%zz").error);
}
