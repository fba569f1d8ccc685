// store_harness_test.cpp — StoreHarness (cohort/testing.hpp) as an app's test uses it: a kind's
// ops run as given actors, with the node's checks (roles, anonymous, invalid, internal), locks
// and leases on the held clock, queued ops, op ids, expect_version, coalescing, the patches
// broadcast, and a restart from a temporary SQLite file. Each test would fail if the harness
// did not run the real stores: the refusals and versions come from them, not from the harness.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "cohort/patch.hpp"
#include "cohort/testing.hpp"

namespace {

using namespace std::chrono_literals;
using cohort::Json;
using cohort::JsonObject;
using cohort::OpCall;
using cohort::OpRequest;
using cohort::OpResult;
using cohort::OpSpec;
using cohort::Rejection;
using cohort::StoreKind;
namespace testing_ = cohort::testing;
namespace patch = cohort::patch;

// A note with a title anyone signed in may set, a "clear" for editors, and a "boom" that throws.
StoreKind notes(std::chrono::milliseconds coalesce = 0ms) {
  StoreKind k;
  k.name = "note";
  k.initial = JsonObject{{"title", ""}, {"body", ""}};
  k.ops["title"] = OpSpec{{}, [](const OpRequest& r) {
    if (!r.args.is_object() || !r.args.as_object().contains("title") || !r.args.at("title").is_string())
      return OpResult::reject(Rejection::invalid, {{"detail", "title must be a string"}});
    return OpResult::change({patch::replace("/title", r.args.at("title"))});
  }};
  OpSpec body{{}, [](const OpRequest& r) { return OpResult::change({patch::replace("/body", r.args.at("body"))}); }};
  body.when_locked = cohort::WhenLocked::queue;
  body.queue_timeout = 1000ms;
  k.ops["body"] = body;
  k.ops["clear"] = OpSpec{{"editor"}, [](const OpRequest&) {
    return OpResult::change({patch::replace("/title", ""), patch::replace("/body", "")});
  }};
  k.ops["boom"] = OpSpec{{}, [](const OpRequest&) -> OpResult { throw std::runtime_error("a bug"); }};
  k.coalesce = coalesce;
  return k;
}

const cohort::Actor ann = testing_::user("ann", {"editor"}, "Ann");
const cohort::Actor bob = testing_::user("bob");

TEST(StoreHarness, AnOpChangesTheStateAndEveryFollowerGetsItsPatch) {
  testing_::StoreHarness stores;
  stores.define(notes());
  EXPECT_EQ(stores.version("note:1"), 0u);
  auto out = stores.op("note:1", "title", JsonObject{{"title", "Plans"}}, bob);
  ASSERT_TRUE(out.ok) << cohort::json::serialize(out.error);
  EXPECT_EQ(out.version, 1u);
  EXPECT_EQ(stores.state("note:1").at("title"), "Plans");
  auto patches = stores.take_patches("note:1");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].payload.at("from"), 0);
  EXPECT_EQ(patches[0].payload.at("to"), 1);
  EXPECT_TRUE(stores.take_patches("note:1").empty());  // taken
}

TEST(StoreHarness, RefusalsComeFromTheStoresChecks) {
  testing_::StoreHarness stores;
  stores.define(notes());
  EXPECT_EQ(stores.op("note:1", "clear", JsonObject{}, bob).rejection(), Rejection::forbidden);
  EXPECT_EQ(stores.op("note:1", "title", JsonObject{{"title", "x"}}, testing_::anonymous()).rejection(),
            Rejection::forbidden);
  EXPECT_EQ(stores.op("note:1", "title", JsonObject{{"title", 3}}, bob).rejection(), Rejection::invalid);
  EXPECT_EQ(stores.op("note:1", "nope", JsonObject{}, bob).rejection(), Rejection::unknown_op);
  auto boom = stores.op("note:1", "boom", JsonObject{}, bob);
  EXPECT_EQ(boom.rejection(), Rejection::internal);
  EXPECT_TRUE(stores.op("note:1", "clear", JsonObject{}, ann).ok);  // the key goes on serving
  EXPECT_THROW(stores.op("nokind:1", "x", JsonObject{}, ann), testing_::Failure);
}

TEST(StoreHarness, ALeaseEndsWhenTheClockPassesItsTtlAndNotBefore) {
  testing_::StoreHarness stores;
  stores.define(notes());
  auto s1 = stores.session(), s2 = stores.session();
  ASSERT_TRUE(stores.lock("note:1", "/title", ann, s1, 5000ms).ok);
  EXPECT_EQ(stores.locks("note:1").at("/title").at("holder"), "ann");
  OpCall by_bob{"note:1", "title", JsonObject{{"title", "mine"}}, bob, s2, std::nullopt, ""};
  EXPECT_EQ(stores.run(by_bob).rejection(), Rejection::locked);
  stores.advance(4999ms);
  EXPECT_EQ(stores.run(by_bob).rejection(), Rejection::locked);
  EXPECT_EQ(stores.locks("note:1").at("/title").at("expires_in_ms"), 1);
  stores.advance(1ms);
  EXPECT_TRUE(stores.locks("note:1").empty());
  EXPECT_TRUE(stores.run(by_bob).ok);
  auto messages = stores.take_messages("note:1");
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages[0].event, "lock");
  EXPECT_EQ(messages[1].event, "unlock");
  EXPECT_EQ(messages[1].payload.at("reason"), "expired");
}

TEST(StoreHarness, AQueuedOpRunsWhenTheLockGoesOrTimesOut) {
  testing_::StoreHarness stores;
  stores.define(notes());
  auto s1 = stores.session(), s2 = stores.session();
  ASSERT_TRUE(stores.lock("note:1", "/body", ann, s1).ok);
  auto waiting = stores.submit(OpCall{"note:1", "body", JsonObject{{"body", "b"}}, bob, s2, std::nullopt, ""});
  EXPECT_FALSE(stores.outcome(waiting));
  ASSERT_TRUE(stores.unlock("note:1", "/body", ann, s1).ok);
  ASSERT_TRUE(stores.outcome(waiting));
  EXPECT_TRUE(stores.outcome(waiting)->ok);
  EXPECT_EQ(stores.state("note:1").at("body"), "b");

  ASSERT_TRUE(stores.lock("note:1", "/body", ann, s1).ok);
  auto timing_out = stores.submit(OpCall{"note:1", "body", JsonObject{{"body", "c"}}, bob, s2, std::nullopt, ""});
  stores.advance(999ms);
  EXPECT_FALSE(stores.outcome(timing_out));
  stores.advance(1ms);
  ASSERT_TRUE(stores.outcome(timing_out));
  EXPECT_EQ(stores.outcome(timing_out)->rejection(), Rejection::lock_timeout);
  // run() of an op that can only wait says so instead of hanging.
  EXPECT_THROW(stores.run(OpCall{"note:1", "body", JsonObject{{"body", "d"}}, bob, s2, std::nullopt, ""}),
               testing_::Failure);
}

TEST(StoreHarness, AnOpIdIsAppliedOnceAndAStaleExpectVersionConflicts) {
  testing_::StoreHarness stores;
  stores.define(notes());
  OpCall call{"note:1", "title", JsonObject{{"title", "once"}}, bob, 0, std::nullopt, "op-1"};
  EXPECT_EQ(stores.run(call).version, 1u);
  EXPECT_EQ(stores.run(call).version, 1u);  // the first outcome again
  EXPECT_EQ(stores.version("note:1"), 1u);
  OpCall stale{"note:1", "title", JsonObject{{"title", "late"}}, bob, 0, 0u, ""};
  EXPECT_EQ(stores.run(stale).rejection(), Rejection::conflict);
}

TEST(StoreHarness, CoalescedPatchesGoOutFoldedWhenTheIntervalHasPassed) {
  testing_::StoreHarness stores;
  stores.define(notes(100ms));
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(stores.op("note:1", "title", JsonObject{{"title", std::to_string(i)}}, bob).ok);
  EXPECT_TRUE(stores.take_patches("note:1").empty());  // replies are not delayed; broadcasts are
  stores.advance(99ms);
  EXPECT_TRUE(stores.take_patches("note:1").empty());
  stores.advance(1ms);
  auto patches = stores.take_patches("note:1");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].payload.at("from"), 0);
  EXPECT_EQ(patches[0].payload.at("to"), 3);
}

TEST(StoreHarness, ARestartLoadsWhatWasStoredAndEndsLocks) {
  testing_::StoreHarness stores(testing_::StoreHarness::Options{.sqlite = true});
  stores.define(notes());
  ASSERT_TRUE(stores.op("note:1", "title", JsonObject{{"title", "kept"}}, bob).ok);
  ASSERT_TRUE(stores.lock("note:1", "/body", ann, stores.session()).ok);
  stores.restart();
  EXPECT_EQ(stores.version("note:1"), 1u);
  EXPECT_EQ(stores.state("note:1").at("title"), "kept");
  EXPECT_TRUE(stores.locks("note:1").empty());

  testing_::StoreHarness memory;
  memory.define(notes());
  EXPECT_THROW(memory.restart(), testing_::Failure);
}

TEST(StoreHarness, KindsAreDefinedBeforeTheStoresAreUsed) {
  testing_::StoreHarness stores;
  stores.define(notes());
  stores.version("note:1");
  StoreKind other;
  other.name = "other";
  EXPECT_THROW(stores.define(other), testing_::Failure);
}

}  // namespace
