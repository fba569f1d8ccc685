// key_authority_test.cpp — src/store/key_authority.hpp without storage: the state size limit
// is about the state, not about how many ops touched it; an op sent again with its op_id is
// applied once; an anonymous actor runs only the ops whose spec allows it.
#include "store/key_authority.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace cohort::store {
namespace {

class NullPubSub final : public PubSub {
 public:
  void subscribe(std::string_view, Subscriber*) override {}
  void unsubscribe(std::string_view, Subscriber*) override {}
  void when_subscribed(std::string_view, std::function<void()> ready) override { ready(); }
  void broadcast(std::string_view, std::string_view, Json) override {}
  void broadcast_from(const void*, std::string_view, std::string_view, Json) override {}
  void broadcast_binary(const void*, std::string_view, std::string_view, std::string) override {}
  void deliver_remote(Broadcast) override {}
  std::size_t local_subscribers(std::string_view) const override { return 0; }
};

StoreKind small_kind() {
  StoreKind kind;
  kind.name = "t";
  kind.initial = JsonObject{{"n", 0}, {"items", json::array{}}};
  kind.max_state_bytes = 2000;
  kind.ops["set"] = OpSpec{{}, [](const OpRequest& r) {
    return OpResult::change({JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", r.version + 1}}});
  }};
  kind.ops["grow"] = OpSpec{{}, [](const OpRequest&) {
    return OpResult::change({JsonObject{{"op", "add"}, {"path", "/items/-"}, {"value", std::string(100, 'x')}}});
  }};
  kind.ops["grow_when_free"] = kind.ops["grow"];
  kind.ops["grow_when_free"].when_locked = WhenLocked::queue;
  kind.ops["open_set"] = kind.ops["set"];
  kind.ops["open_set"].anonymous = true;
  return kind;
}

struct Fixture {
  StoreKind kind = small_kind();
  net::Reactor reactor{0};
  NullPubSub pubsub;
  KeyAuthority key{"t:1", {kind, nullptr, pubsub, reactor}};

  OpOutcome run(const char* op, std::string op_id = "") {
    OpOutcome out;
    OpCall call;
    call.key = "t:1";
    call.name = op;
    call.op_id = std::move(op_id);
    call.actor.id = "tester";
    key.apply(std::move(call), [&](OpOutcome r) { out = std::move(r); });
    reactor.context().poll();
    reactor.context().restart();
    return out;
  }
};

TEST(KeyAuthority, AnAnonymousActorIsRefusedUnlessTheOpSpecAllowsIt) {
  Fixture f;
  auto anonymous = [&](const char* op) {
    OpOutcome out;
    OpCall call;
    call.key = "t:1";
    call.name = op;
    f.key.apply(std::move(call), [&](OpOutcome r) { out = std::move(r); });
    f.reactor.context().poll();
    f.reactor.context().restart();
    return out;
  };
  OpOutcome refused = anonymous("set");
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.error.at("reason"), "forbidden");
  EXPECT_EQ(refused.error.at("detail"), "sign in first");
  EXPECT_EQ(refused.version, 0u) << "a refused op changes nothing";
  OpOutcome allowed = anonymous("open_set");
  EXPECT_TRUE(allowed.ok) << "OpSpec::anonymous lets it through";
  EXPECT_EQ(allowed.version, 1u);
  EXPECT_TRUE(f.run("set").ok) << "an identified actor runs the op the anonymous one could not";
}

TEST(KeyAuthority, AnOpSentAgainWithItsIdIsAnsweredWithTheFirstOutcomeNotAppliedTwice) {
  Fixture f;
  OpOutcome first = f.run("grow", "op-a");
  ASSERT_TRUE(first.ok);
  OpOutcome again = f.run("grow", "op-a");
  EXPECT_TRUE(again.ok);
  EXPECT_EQ(again.version, first.version);
  OpOutcome other = f.run("grow", "op-b");
  EXPECT_EQ(other.version, first.version + 1) << "another id is another op";
  OpOutcome plain = f.run("grow");
  EXPECT_EQ(plain.version, first.version + 2);
  StoreView v = f.key.view(std::nullopt);
  EXPECT_EQ(v.state->at("items").as_array().size(), 3u) << "op-a was applied once";
}

TEST(KeyAuthority, AnOpSentAgainWhileItWaitsForALockRunsOnceForBoth) {
  Fixture f;
  auto call = [](const char* op, std::uint64_t session, const char* who, Json args, std::string id) {
    OpCall c;
    c.key = "t:1";
    c.name = op;
    c.args = std::move(args);
    c.actor.id = who;
    c.session = session;
    c.op_id = std::move(id);
    return c;
  };
  std::vector<OpOutcome> outs;
  auto record = [&](OpOutcome r) { outs.push_back(std::move(r)); };
  f.key.apply(call("lock", 1, "ann", JsonObject{{"path", "/items"}}, ""), record);
  f.key.apply(call("grow_when_free", 2, "bob", JsonObject{}, "q1"), record);
  f.key.apply(call("grow_when_free", 2, "bob", JsonObject{}, "q1"), record);
  f.reactor.context().poll();
  f.reactor.context().restart();
  ASSERT_EQ(outs.size(), 1u) << "the lock answered; both sends of q1 wait";
  f.key.apply(call("unlock", 1, "ann", JsonObject{{"path", "/items"}}, ""), record);
  f.reactor.context().poll();
  ASSERT_EQ(outs.size(), 4u);
  EXPECT_TRUE(outs[2].ok && outs[3].ok);
  EXPECT_EQ(outs[2].version, outs[3].version);
  EXPECT_EQ(f.key.view(std::nullopt).state->at("items").as_array().size(), 1u);
}

TEST(KeyAuthority, AnOpSentAgainBeforeItsCommitGetsTheSameOutcomeAtTheCommit) {
  Fixture f;
  std::vector<OpOutcome> outs;
  for (int i = 0; i < 2; ++i) {
    OpCall call;
    call.key = "t:1";
    call.name = "grow";
    call.op_id = "op-twice";
    call.actor.id = "tester";
    f.key.apply(std::move(call), [&](OpOutcome r) { outs.push_back(std::move(r)); });
  }
  EXPECT_TRUE(outs.empty()) << "nothing is answered before the commit";
  f.reactor.context().poll();
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_TRUE(outs[0].ok && outs[1].ok);
  EXPECT_EQ(outs[0].version, 1u);
  EXPECT_EQ(outs[1].version, 1u);
  EXPECT_EQ(f.key.view(std::nullopt).version, 1u);
}

TEST(KeyAuthority, ReplacingOneValueNeverHitsTheSizeLimit) {
  Fixture f;
  // Each op's patch is ~40 bytes; 200 of them would pass 2000 bytes if every patch counted.
  for (int i = 0; i < 200; ++i) {
    OpOutcome r = f.run("set");
    ASSERT_TRUE(r.ok) << "op " << i << ": " << json::serialize(r.error);
    EXPECT_EQ(r.version, static_cast<std::uint64_t>(i + 1));
  }
}

TEST(KeyAuthority, AGrowingStateIsRefusedAtItsLimitAndKeepsItsVersion) {
  Fixture f;
  std::uint64_t last = 0;
  OpOutcome r;
  for (int i = 0; i < 100 && (r = f.run("grow")).ok; ++i) last = r.version;
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error.at("reason").as_string(), "too_large");
  EXPECT_EQ(r.version, last) << "a refused op makes no version";
  EXPECT_GT(last, 10u);
  EXPECT_LT(last, 20u);  // 2000 bytes hold about 18 items of 100 bytes
}

}  // namespace
}  // namespace cohort::store
