// quiz_view_test.cpp — the live quiz page (examples/demo/apps/quiz.cpp) driven as a browser would
// drive it, with the demo's own templates, through cohort/testing.hpp's LiveHarness: the rule
// the demo is judged by — the moderator pauses and every viewer sees the banner at once — plus
// who may run the quiz and one answer per person.
#include <gtest/gtest.h>

#include "apps/quiz.hpp"
#include "apps/quiz_store.hpp"
#include "cohort/testing.hpp"

namespace cohort::apps {
namespace {

class QuizView : public ::testing::Test {
 protected:
  QuizView() {
    live.stores().define(quiz_kind({}, 20'000));
    live.view("/quiz", "quiz", [] { return quiz_view(20'000); });
    // Every template of the directory is compiled: the about panel's component must exist.
    live.component("about", "components/about", [] { return std::make_unique<live::Component>(); });
    live.child_view("node_figures", "node_figures", [] { return std::make_unique<live::View>(); });  // the dashboard's
  }
  testing::LiveHarness live{{.templates_dir = COHORT_DEMO_TEMPLATES}};
  JsonObject moderator{{"id", "u-mod"}, {"name", "Mo"}, {"roles", json::array{"moderator"}}};
  JsonObject player{{"id", "u-ann"}, {"name", "Ann"}};
};

TEST_F(QuizView, TheModeratorPausesAndEveryViewerSeesTheBanner) {
  auto mod = live.mount("/quiz", moderator);
  auto ann = live.mount("/quiz", player);
  auto bob = live.mount("/quiz", {{"id", "u-bob"}, {"name", "Bob"}});
  mod.click("#ctl-start");
  EXPECT_TRUE(ann.has("#choices"));
  EXPECT_FALSE(ann.has("#paused-banner"));
  mod.click("#ctl-pause");
  EXPECT_TRUE(ann.has("#paused-banner"));
  EXPECT_TRUE(bob.has("#paused-banner"));
  EXPECT_TRUE(ann.attribute("#choice-0 button", "disabled"));  // no answers while paused
  mod.click("#ctl-resume");
  EXPECT_FALSE(bob.has("#paused-banner"));
  auto late = live.mount("/quiz", {{"id", "u-cy"}});  // a late joiner reads the store
  EXPECT_TRUE(late.has("#choices"));
}

TEST_F(QuizView, OnlyTheModeratorRunsItAndAnAnswerCountsOnce) {
  auto mod = live.mount("/quiz", moderator);
  auto ann = live.mount("/quiz", player);
  EXPECT_FALSE(ann.has("#ctl-start"));  // no controls for a player
  ann.hook_event("start");              // a forged event: the store refuses it
  EXPECT_EQ(ann.text("#message"), "Only the moderator can start the quiz.");
  mod.click("#ctl-start");
  ann.click("#choice-1 button");
  EXPECT_NE(ann.text("#answer-count").find("yours is in"), std::string::npos);
  EXPECT_NE(mod.text("#answer-count").find("1 answer"), std::string::npos);
}

}  // namespace
}  // namespace cohort::apps
