// incident_view_test.cpp — the shared incident form (examples/demo/apps/incident.cpp) with the
// demo's own templates, through cohort/testing.hpp's LiveHarness and its held clock: a focused
// field is leased to its editor and read-only for everyone else; typing renews the lease; an
// idle lease runs out exactly at its ttl; leaving the field or closing the tab gives it back;
// an uploaded file becomes an attachment every viewer sees, refused files show their reasons.
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
    live.child_view("node_figures", "node_figures", [] { return std::make_unique<live::View>(); });  // the dashboard's
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

TEST_F(IncidentView, AnUploadedFileBecomesAnAttachmentEveryoneSees) {
  auto ann = live.mount("/incident", {{"id", "u-ann"}, {"name", "Ann"}});
  auto bob = live.mount("/incident", {{"id", "u-bob"}, {"name", "Bob"}});
  Json reply = ann.upload("#attach-form", {{"notes.txt", "text/plain", std::string(150'000, 'n')}});
  EXPECT_TRUE(reply.at("entries").as_object().contains("0"));
  EXPECT_EQ(ann.attribute("#progress-0", "value"), "100");
  EXPECT_EQ(bob.count("#attachment-list .attachment"), 0u);
  ann.submit("#attach-form");
  EXPECT_EQ(bob.text("#attachment-list .attachment"), "notes.txt · 150.0 KB · added by Ann");
  EXPECT_FALSE(ann.has(".upload-entry"));  // consumed
}

TEST_F(IncidentView, RefusedFilesShowLiveViewsReasonsAndAreNotSent) {
  auto ann = live.mount("/incident", {{"id", "u-ann"}, {"name", "Ann"}});
  Json reply = ann.upload("#attach-form", {{"run.exe", "application/x-msdownload", "MZ"},
                                           {"big.png", "image/png", std::string(10'000'001, 'b')}});
  EXPECT_EQ(reply.at("error"), (json::array{json::array{"0", "not_accepted"}, json::array{"1", "too_large"}}));
  EXPECT_EQ(ann.text("#entry-0 .entry-error"), "not_accepted");
  EXPECT_EQ(ann.text("#entry-1 .entry-error"), "too_large");
  ann.click("#cancel-0");
  ann.click("#cancel-1");
  EXPECT_FALSE(ann.has(".upload-entry"));
  ann.upload("#attach-form", {{"a.txt", "text/plain", "a"}, {"b.txt", "text/plain", "b"},
                              {"c.txt", "text/plain", "c"}, {"d.txt", "text/plain", "d"}});
  EXPECT_EQ(ann.text(".upload-error"), "too_many_files");
  ann.submit("#attach-form");
  EXPECT_EQ(ann.count("#attachment-list .attachment"), 0u);
}

}  // namespace
}  // namespace cohort::apps
