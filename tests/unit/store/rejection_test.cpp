// rejection_test.cpp — cohort::Rejection (cohort/store.hpp): every reason has one wire name and
// reads back as itself; an outcome's rejection() is what its "reason" says.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cohort/store.hpp"

namespace cohort {
namespace {

TEST(Rejection, EveryReasonHasItsOwnWireNameAndReadsBack) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(Rejection::not_found); ++i) {
    auto why = static_cast<Rejection>(i);
    std::string name(wire_name(why));
    EXPECT_TRUE(names.insert(name).second) << name << " is the name of two reasons";
    EXPECT_EQ(rejection_from_wire(name), why) << name;
  }
  EXPECT_EQ(wire_name(Rejection::locked), "locked");
  EXPECT_EQ(wire_name(Rejection::too_many_keys), "too_many_keys");
  EXPECT_FALSE(rejection_from_wire("Locked"));
  EXPECT_FALSE(rejection_from_wire(""));
}

TEST(Rejection, AHandlersRejectionCarriesItsWireNameAndDetail) {
  OpResult r = OpResult::reject(Rejection::invalid, {{"detail", "title is empty"}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.at("reason").as_string(), "invalid");
  EXPECT_EQ(r.error.at("detail").as_string(), "title is empty");
}

TEST(Rejection, AnOutcomeSaysWhyItWasRefused) {
  EXPECT_EQ((OpOutcome{true, 3, {}}.rejection()), std::nullopt);
  EXPECT_EQ((OpOutcome{false, 3, {{"reason", "locked"}, {"holder", "u-1"}}}.rejection()), Rejection::locked);
  // A reason Cohort never sends (or none) reads as internal, never as a refusal the app handles.
  EXPECT_EQ((OpOutcome{false, 3, {{"reason", "made_up"}}}.rejection()), Rejection::internal);
  EXPECT_EQ((OpOutcome{false, 3, {}}.rejection()), Rejection::internal);
}

}  // namespace
}  // namespace cohort
