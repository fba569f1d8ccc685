// channel_harness_test.cpp — ChannelHarness (cohort/testing.hpp) as an app's test uses it: an
// app's channel joined with params and socket assigns, pushes and their replies (at once and
// later), broadcasts that reach the other clients and not the sender, presence owned by the
// channel (gone with it), a deferred join, a crash, and the store channel with a signed token.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "cohort/patch.hpp"
#include "cohort/testing.hpp"

namespace {

using namespace std::chrono_literals;
using cohort::ChannelContext;
using cohort::Json;
using cohort::JoinResult;
using cohort::JsonObject;
using cohort::Payload;
using cohort::Reply;
namespace t = cohort::testing;

// room:<name>: joins with a nickname the socket's user must match; "shout" goes to the others;
// "slow" answers after 500 ms; "boom" throws; each member is tracked by its user id.
class Room final : public cohort::Channel {
 public:
  JoinResult join(const Json& params, ChannelContext& ctx) override {
    const Json* user = ctx.assigns().if_contains("user");
    if (!user) return JoinResult::refuse("unauthorized");
    if (params.is_object() && params.as_object().contains("late")) {
      ctx.after(200ms, [h = ctx.handle()] {
        if (auto c = h.lock()) c->finish_join(JoinResult::accept(JsonObject{{"late", true}}));
      });
      return JoinResult::later();
    }
    ctx.track(std::string(user->as_string()), JsonObject{});
    return JoinResult::accept(JsonObject{{"welcome", *user}});
  }
  Reply handle_in(std::string_view event, const Payload& p, ChannelContext& ctx) override {
    if (event == "shout") {
      ctx.broadcast_from("shout", *p.json);
      return Reply::ok();
    }
    if (event == "slow") {
      auto to = ctx.reply_later();
      ctx.after(500ms, [h = ctx.handle(), to] {
        if (auto c = h.lock()) c->reply(to, Reply::ok(JsonObject{{"slow", true}}));
      });
      return Reply::none();
    }
    if (event == "boom") throw std::runtime_error("boom");
    return Reply::error("unknown event");
  }
};

std::vector<std::string> events(const std::vector<t::ChannelMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.event);
  return out;
}

TEST(ChannelHarness, JoinPushAndBroadcastReachTheOthersOnly) {
  t::ChannelHarness h;
  h.endpoint().channel("room:*", [] { return std::make_unique<Room>(); });
  auto ann = h.connect_as({{"user", "ann"}});
  auto bob = h.connect_as({{"user", "bob"}});
  auto nobody = h.connect_as({});
  EXPECT_EQ(ann.join("room:a").response.at("welcome"), "ann");
  ASSERT_TRUE(bob.join("room:a").ok());
  EXPECT_EQ(nobody.join("room:a").response.at("reason"), "unauthorized");
  EXPECT_EQ(ann.join("other:a").response.at("reason"), "unmatched topic");
  // Each is told of the joins after its own (its own included), as a node tells a joined channel.
  EXPECT_EQ(events(ann.take("room:a")), (std::vector<std::string>{"presence_diff", "presence_diff"}));
  EXPECT_EQ(events(bob.take("room:a")), (std::vector<std::string>{"presence_diff"}));
  EXPECT_TRUE(ann.push("room:a", "shout", JsonObject{{"text", "hi"}}).ok());
  EXPECT_TRUE(ann.take("room:a").empty());
  auto heard = bob.take("room:a");
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0].event, "shout");
  EXPECT_EQ(heard[0].payload.at("text"), "hi");
  h.broadcast("room:a", "news", JsonObject{});
  EXPECT_EQ(events(ann.take()), (std::vector<std::string>{"news"}));
  EXPECT_EQ(ann.push("room:a", "what", JsonObject{}).status, "error");
}

TEST(ChannelHarness, PresenceEndsWithTheChannel) {
  t::ChannelHarness h;
  h.endpoint().channel("room:*", [] { return std::make_unique<Room>(); });
  auto ann = h.connect_as({{"user", "ann"}});
  auto bob = h.connect_as({{"user", "bob"}});
  ann.join("room:a");
  bob.join("room:a");
  EXPECT_EQ(h.presence_list("room:a").size(), 2u);
  bob.leave("room:a");
  EXPECT_EQ(h.presence_list("room:a").size(), 1u);
  ann.close();
  EXPECT_TRUE(h.presence_list("room:a").empty());
}

TEST(ChannelHarness, LaterAnswersComeAsTheClockAdvances) {
  t::ChannelHarness h;
  h.endpoint().channel("room:*", [] { return std::make_unique<Room>(); });
  auto ann = h.connect_as({{"user", "ann"}});
  // A deferred join and a later reply wait for timers: the harness says so instead of hanging.
  EXPECT_THROW(ann.join("room:b", JsonObject{{"late", true}}), t::Failure);
  ASSERT_TRUE(ann.join("room:a").ok());
  EXPECT_THROW(ann.push("room:a", "slow"), t::Failure);
}

TEST(ChannelHarness, AThrowingHandlerEndsItsChannelOnly) {
  t::ChannelHarness h;
  h.endpoint().channel("room:*", [] { return std::make_unique<Room>(); });
  auto ann = h.connect_as({{"user", "ann"}});
  ann.join("room:a");
  ann.join("room:b");
  EXPECT_EQ(ann.push("room:a", "boom").response.at("reason"), "crashed");
  EXPECT_TRUE(ann.errored("room:a"));
  EXPECT_FALSE(ann.errored("room:b"));
  EXPECT_TRUE(ann.push("room:b", "shout", JsonObject{}).ok());
  EXPECT_EQ(h.presence_list("room:a").size(), 0u);
}

TEST(ChannelHarness, TheStoreChannelServesStoreTopicsWithSignedTokens) {
  t::ChannelHarness h;
  cohort::StoreKind k;
  k.name = "count";
  k.initial = JsonObject{{"n", 0}};
  k.can_create = [](const cohort::Actor& a, std::string_view) { return !a.id.empty(); };
  k.ops["inc"] = cohort::OpSpec{{}, [](const cohort::OpRequest& r) {
    return cohort::OpResult::change({cohort::patch::replace("/n", r.state.at("n").as_int64() + 1)});
  }};
  h.stores().define(k);
  auto ann = h.connect_as({});
  auto bob = h.connect_as({});
  auto joined = ann.join("store:count:1", JsonObject{{"token", h.issue_token({{"sub", "ann"}})}});
  ASSERT_TRUE(joined.ok()) << cohort::json::serialize(joined.response);
  EXPECT_EQ(joined.response.at("version"), 0);
  EXPECT_EQ(bob.join("store:count:1").response.at("reason"), "not_found");  // anonymous may not create it
  EXPECT_EQ(ann.push("store:count:1", "op", JsonObject{{"name", "inc"}}).response.at("version"), 1);
  auto patches = ann.take("store:count:1");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].event, "patch");
  EXPECT_EQ(h.stores().state("count:1").at("n"), 1);
  EXPECT_EQ(ann.join("store:count:1", JsonObject{{"token", "forged"}}).response.at("reason"), "unauthorized");
}

}  // namespace
