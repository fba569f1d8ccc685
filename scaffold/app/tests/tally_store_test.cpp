// tally_store_test.cpp — the tally's ops on Cohort's real stores (cohort/testing.hpp).
#include <gtest/gtest.h>

#include "cohort/testing.hpp"
#include "tally_store.hpp"

namespace {

namespace testing = cohort::testing;
using cohort::JsonObject;
using cohort::Rejection;

TEST(TallyStore, AddCountsAndSaysWhoAdded) {
  testing::StoreHarness stores;
  stores.define(@app@::tally_kind());
  auto ann = testing::user("ann", {}, "Ann");
  ASSERT_TRUE(stores.op("tally:main", "add", JsonObject{{"by", 5}}, ann).ok);
  ASSERT_TRUE(stores.op("tally:main", "add", JsonObject{{"by", 1}}, ann).ok);
  EXPECT_EQ(stores.state("tally:main").at("count"), 6);
  EXPECT_EQ(stores.state("tally:main").at_pointer("/last/by"), "Ann");
  EXPECT_EQ(stores.take_patches("tally:main").size(), 2u);  // every follower saw both
}

TEST(TallyStore, RefusesWhatItMustRefuse) {
  testing::StoreHarness stores;
  stores.define(@app@::tally_kind());
  auto ann = testing::user("ann");
  EXPECT_EQ(stores.op("tally:main", "add", JsonObject{{"by", 11}}, ann).rejection(), Rejection::invalid);
  EXPECT_EQ(stores.op("tally:main", "add", JsonObject{{"by", 1}}, testing::anonymous()).rejection(),
            Rejection::forbidden);
  EXPECT_EQ(stores.op("tally:main", "reset", JsonObject{}, ann).rejection(), Rejection::forbidden);
  EXPECT_TRUE(stores.op("tally:main", "reset", JsonObject{}, testing::user("boss", {"admin"})).ok);
}

}  // namespace
