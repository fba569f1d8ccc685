// incident_view_test.cpp — the shared incident form (examples/demo/apps/incident.cpp) with the
// demo's own templates, through cohort/testing.hpp's LiveHarness and its held clock: a focused
// field is leased to its editor and read-only for everyone else; typing renews the lease; an
// idle lease runs out exactly at its ttl; leaving the field or closing the tab gives it back.
#include <gtest/gtest.h>

#include "apps/incident.hpp"
#include "apps/incident_store.hpp"
#include "cohort/testing.hpp"

namespace cohort::apps {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kLeaseMs = 15'000;

class IncidentView : public ::testing::Test {
 protected:
  IncidentView() {
    live.stores().define(incident_kind());
    live.view("/incident", "incident", [] { return incident_view(kLeaseMs); });
    live.component("about", "components/about", [] { return std::make_unique<live::Component>(); });
  }
  testing::LiveHarness live{{.templates_dir = COHORT_DEMO_TEMPLATES}};
};

TEST_F(IncidentView, AFocusedFieldIsLeasedAndAnIdleLeaseRunsOutAtItsTtl) {
  auto ann = live.mount("/incident", {{"id", "u-ann"}, {"name", "Ann"}});
  auto bob = live.mount("/incident", {{"id", "u-bob"}, {"name", "Bob"}});
  ann.focus("#in-title");
  EXPECT_EQ(bob.text("#note-title"), "Ann is editing");
  EXPECT_TRUE(bob.attribute("#in-title", "readonly"));
  EXPECT_EQ(ann.text("#note-title"), "You are editing");

  live.advance(10s);
  ann.change("#incident-form", {{"incident[title]", "Checkout down"}});  // typing renews the lease
  EXPECT_EQ(bob.attribute("#in-title", "value"), "Checkout down");
  live.advance(std::chrono::milliseconds(kLeaseMs - 1));
  EXPECT_EQ(bob.text("#note-title"), "Ann is editing");
  live.advance(1ms);  // idle for exactly the lease
  EXPECT_FALSE(bob.attribute("#in-title", "readonly"));
  bob.focus("#in-title");
  EXPECT_EQ(ann.text("#note-title"), "Bob is editing");
}

TEST_F(IncidentView, BlurOrClosingTheTabGivesTheFieldBack) {
  auto ann = live.mount("/incident", {{"id", "u-ann"}, {"name", "Ann"}});
  auto bob = live.mount("/incident", {{"id", "u-bob"}, {"name", "Bob"}});
  ann.focus("#in-title");
  ann.blur("#in-title");
  EXPECT_FALSE(bob.attribute("#in-title", "readonly"));
  ann.focus("#in-title");
  EXPECT_TRUE(bob.attribute("#in-title", "readonly"));
  ann.close();
  EXPECT_FALSE(bob.attribute("#in-title", "readonly"));
}

}  // namespace
}  // namespace cohort::apps
