// async_harness_test.cpp — a view's async work (Socket::assign_async, start_async, cancel_async)
// as an app's test drives it with LiveHarness::run_async: the loading state until the test lets
// the tasks run, then the result or the failure; a cancelled, replaced or abandoned (page
// closed) task is told to stop, never run if it had not begun, and its result never shown; the
// GET render shows loading and starts nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>

#include "cohort/testing.hpp"

namespace {

using cohort::Json;
using cohort::JsonObject;
using cohort::live::AsyncResult;
using cohort::live::Params;
using cohort::live::Session;
using cohort::live::Socket;
namespace t = cohort::testing;

// What the tasks of a test did (tasks run on the harness's thread here, on workers in a node).
struct Tally {
  std::atomic<int> ran{0};
  std::atomic<int> total{10};
};

class Report final : public cohort::live::View {
 public:
  explicit Report(std::shared_ptr<Tally> tally) : tally_(std::move(tally)) {}
  void mount(const Params&, const Session&, Socket& s) override {
    s.assign("counted", "");
    load(s);
  }
  void handle_event(std::string_view event, const Json&, Socket& s) override {
    if (event == "reload") load(s);
    if (event == "broken") s.assign_async("report", [](std::stop_token) -> Json { throw std::runtime_error("the database is down"); });
    if (event == "cancel") s.assign("counted", s.cancel_async("report") ? "cancelled one" : "nothing to cancel");
    if (event == "count") s.start_async("count", [tally = tally_](std::stop_token) { return Json(++tally->ran); });
  }
  void handle_async(std::string_view name, const AsyncResult& result, Socket& s) override {
    s.assign("counted", std::string(name) + ": " + (result.ok ? std::to_string(result.value.as_int64()) : result.reason));
  }

 private:
  void load(Socket& s) {
    s.assign_async("report", [tally = tally_](std::stop_token) {
      ++tally->ran;
      return Json(JsonObject{{"total", tally->total.load()}});
    });
  }
  std::shared_ptr<Tally> tally_;
};

class AsyncHarnessTest : public ::testing::Test {
 protected:
  AsyncHarnessTest() {
    live.component("badge", "badge", [] { return std::make_unique<cohort::live::Component>(); });
    live.child_view("clock", "clock", [] { return std::make_unique<cohort::live::View>(); });
    live.view("/report", "report", [tally = tally] { return std::make_unique<Report>(tally); });
  }
  std::shared_ptr<Tally> tally = std::make_shared<Tally>();
  t::LiveHarness live{t::LiveHarness::Options{.templates_dir = COHORT_TEST_TEMPLATES}};
};

TEST_F(AsyncHarnessTest, LoadingUntilTheTaskRunsThenItsResult) {
  auto page = live.mount("/report");
  EXPECT_TRUE(page.has("#loading"));
  EXPECT_FALSE(page.has("#ok"));
  EXPECT_EQ(tally->ran, 0);  // nothing ran on the view's thread
  EXPECT_EQ(live.run_async(), 1u);
  EXPECT_EQ(page.text("#ok"), "10");
  EXPECT_FALSE(page.has("#loading"));
  EXPECT_EQ(live.run_async(), 0u);
}

TEST_F(AsyncHarnessTest, ATaskThatThrowsShowsItsFailure) {
  auto page = live.mount("/report");
  live.run_async();
  page.click("#broken");
  EXPECT_TRUE(page.has("#loading"));
  live.run_async();
  EXPECT_EQ(page.text("#failed"), "the database is down");
  EXPECT_FALSE(page.has("#ok"));
}

TEST_F(AsyncHarnessTest, CancelEndsTheTaskAtOnceAndItNeverRuns) {
  auto page = live.mount("/report");
  page.click("#cancel");
  EXPECT_EQ(page.text("#failed"), "cancelled");
  EXPECT_EQ(page.text("#counted"), "cancelled one");
  live.run_async();
  EXPECT_EQ(tally->ran, 0);
  EXPECT_EQ(page.text("#failed"), "cancelled");
  page.click("#cancel");
  EXPECT_EQ(page.text("#counted"), "nothing to cancel");
}

TEST_F(AsyncHarnessTest, ANewerTaskOfTheSameNameReplacesTheOlder) {
  auto page = live.mount("/report");
  page.click("#reload");  // the mount's task is replaced before it runs
  tally->total = 20;
  EXPECT_EQ(live.run_async(), 1u);  // the replaced one left the queue
  EXPECT_EQ(tally->ran, 1);
  EXPECT_EQ(page.text("#ok"), "20");
}

TEST_F(AsyncHarnessTest, StartAsyncReachesHandleAsync) {
  auto page = live.mount("/report");
  page.click("#count");
  EXPECT_EQ(page.text("#counted"), "");
  live.run_async();
  EXPECT_EQ(page.text("#counted"), "count: 2");  // the mount's report ran first, then the count
}

TEST_F(AsyncHarnessTest, AClosedPageStopsItsTasks) {
  auto page = live.mount("/report");
  page.close();
  live.run_async();
  EXPECT_EQ(tally->ran, 0);
}

TEST_F(AsyncHarnessTest, TheFirstRenderShowsLoadingAndStartsNothing) {
  std::string html = live.render_static("/report");
  EXPECT_NE(html.find("Loading…"), std::string::npos);
  EXPECT_EQ(live.run_async(), 0u);
}

}  // namespace
