// assign_table_test.cpp — src/live/assign_table.hpp: a table starts small, grows in steps to
// kMaxAssigns and refuses the key after; a reference taken before a step still reads its value
// from the table the step left, which lives until settle_assigns().
#include "live/assign_table.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace cohort::live {
namespace {

TEST(AssignTable, AFewKeysTakeASmallTable) {
  JsonObject assigns;
  RetiredAssigns retired;
  for (int i = 0; i < 5; ++i) assign_slot(assigns, retired, "k" + std::to_string(i)) = i;
  EXPECT_EQ(assigns.size(), 5u);
  EXPECT_LE(assigns.capacity(), 8u) << "five assigns do not reserve room for sixty-four";
}

TEST(AssignTable, AReferenceTakenBeforeAStepReadsItsValueUntilSettled) {
  JsonObject assigns;
  RetiredAssigns retired;
  assign_slot(assigns, retired, "first") = "kept";
  const Json& first = assigns.at("first");
  for (std::size_t i = 1; i < kMaxAssigns; ++i) assign_slot(assigns, retired, "k" + std::to_string(i)) = i;
  ASSERT_EQ(assigns.size(), kMaxAssigns);
  ASSERT_FALSE(retired.empty()) << "sixty-four keys did not fit the first table";
  // The reference still points into a live table: the first one, which held "first".
  EXPECT_EQ(&first, retired.front().if_contains("first"));
  EXPECT_EQ(first, Json("kept"));
  EXPECT_EQ(assigns.at("first"), Json("kept")) << "the grown table has every value";
  EXPECT_EQ(assigns.at("k63"), Json(63));
  settle_assigns(retired);
  EXPECT_TRUE(retired.empty());
}

TEST(AssignTable, AnExistingKeyNeverMovesAndThe65thKeyIsRefused) {
  JsonObject assigns;
  RetiredAssigns retired;
  for (std::size_t i = 0; i < kMaxAssigns; ++i) assign_slot(assigns, retired, "k" + std::to_string(i)) = i;
  settle_assigns(retired);
  Json& slot = assign_slot(assigns, retired, "k0");
  EXPECT_EQ(&slot, assigns.if_contains("k0"));
  EXPECT_TRUE(retired.empty()) << "assigning a key already there grows nothing";
  EXPECT_THROW(assign_slot(assigns, retired, "one-too-many"), std::length_error);
  EXPECT_EQ(assigns.size(), kMaxAssigns);
  EXPECT_FALSE(assigns.contains("one-too-many"));
}

}  // namespace
}  // namespace cohort::live
