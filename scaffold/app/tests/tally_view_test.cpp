// tally_view_test.cpp — the tally page, driven as a browser would drive it, without one
// (cohort/testing.hpp's LiveHarness).
#include <gtest/gtest.h>

#include "cohort/testing.hpp"
#include "tally_store.hpp"
#include "tally_view.hpp"

namespace {

class TallyView : public ::testing::Test {
 protected:
  TallyView() {
    live.stores().define(@app@::tally_kind());
    live.view("/", "tally", [] { return @app@::tally_view(); });
  }
  cohort::testing::LiveHarness live{{.templates_dir = APP_TEMPLATES}};
};

TEST_F(TallyView, AClickOnOnePageShowsOnEveryPage) {
  auto ann = live.mount("/", {{"id", "ann"}, {"name", "Ann"}});
  auto bob = live.mount("/", {{"id", "bob"}, {"name", "Bob"}});
  EXPECT_EQ(bob.text("#count"), "0");
  ann.click("#add-5");
  EXPECT_EQ(bob.text("#count"), "5");
  EXPECT_EQ(bob.text("#last"), "Ann added 5");
  EXPECT_EQ(ann.count("#here li"), 2u);
  bob.close();
  EXPECT_EQ(ann.count("#here li"), 1u);
}

TEST_F(TallyView, ARefusalIsShownToWhoeverAsked) {
  auto ann = live.mount("/", {{"id", "ann"}});
  ann.click("#add-1", {{"by", "50"}});
  EXPECT_EQ(ann.text("#error"), "Add from 1 to 10.");
  EXPECT_EQ(ann.text("#count"), "0");
}

}  // namespace
