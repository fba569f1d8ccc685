// key_authority_test.cpp — src/store/key_authority.hpp without storage: the state size limit
// is about the state, not about how many ops touched it; an op sent again with its op_id is
// applied once; an anonymous actor runs only the ops whose spec allows it.
#include "store/key_authority.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <cmath>
#include <limits>

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
  // Writes args.value at args.path (or raw RFC 6902 ops from args.ops): the limits tests' op.
  kind.ops["put"] = OpSpec{{}, [](const OpRequest& r) {
    const auto& a = r.args.as_object();
    if (auto* ops = a.if_contains("ops")) return OpResult::change(ops->as_array());
    return OpResult::change({JsonObject{{"op", "add"}, {"path", a.at("path")}, {"value", a.at("value")}}});
  }};
  kind.ops["grow_when_free"] = kind.ops["grow"];
  kind.ops["grow_when_free"].when_locked = WhenLocked::queue;
  kind.ops["open_set"] = kind.ops["set"];
  kind.ops["open_set"].anonymous = true;
  return kind;
}

struct Fixture {
  explicit Fixture(StoreLimits l = {}) : limits(l) {}
  StoreKind kind = small_kind();
  net::Reactor reactor{0};
  NullPubSub pubsub;
  StoreLimits limits;
  StoreClock clock;
  KeyAuthority key{"t:1", {kind, nullptr, pubsub, reactor, limits, clock}};

  OpOutcome run(const char* op, std::string op_id = "", Json args = JsonObject{}) {
    OpOutcome out;
    OpCall call;
    call.key = "t:1";
    call.name = op;
    call.op_id = std::move(op_id);
    call.args = std::move(args);
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


// ---- what an op may write: exactly what loads again ------------------------------------------

Json nested(int depth) {  // depth containers: [[[...]]]
  Json v = json::array{};
  for (int i = 1; i < depth; ++i) v = json::array{v};
  return v;
}

// Small limits, so that the tests can name the values just inside and just outside them.
StoreLimits tight() { return StoreLimits{.max_depth = 6, .max_string_bytes = 40, .max_member_bytes = 8}; }

OpOutcome put(Fixture& f, std::string path, Json value) {
  return f.run("put", "", JsonObject{{"path", std::move(path)}, {"value", std::move(value)}});
}

std::string reason(const OpOutcome& o) { return std::string(o.error.at("reason").as_string()); }

TEST(KeyAuthorityLimits, AValueThatWouldNestPastMaxDepthIsRefusedAndChangesNothing) {
  Fixture f{tight()};
  ASSERT_TRUE(put(f, "/a", JsonObject{{"b", nested(3)}}).ok);  // root 1 + a 1 + b's 3 = 5... within 6
  auto before = f.key.view(std::nullopt);
  // /a/b/0 sits under 3 containers; a value 4 deep there reaches 7.
  auto refused = put(f, "/a/b/0", nested(4));
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(reason(refused), "too_large");
  EXPECT_NE(std::string(refused.error.at("detail").as_string()).find("store_max_depth is 6"), std::string::npos);
  auto after = f.key.view(std::nullopt);
  EXPECT_EQ(after.version, before.version);
  EXPECT_EQ(*after.state, *before.state);
  EXPECT_TRUE(put(f, "/a/b/0", nested(3)).ok);  // exactly 6: accepted
}

TEST(KeyAuthorityLimits, CopyAndMoveDeeperAreCheckedLikeAnAdd) {
  Fixture f{tight()};
  ASSERT_TRUE(put(f, "/deep", nested(4)).ok);  // 1 + 4 = 5
  ASSERT_TRUE(put(f, "/box", JsonObject{{"in", JsonObject{}}}).ok);
  auto copy = f.run("put", "", JsonObject{{"ops", json::array{JsonObject{{"op", "copy"}, {"from", "/deep"}, {"path", "/box/in/x"}}}}});
  EXPECT_FALSE(copy.ok);
  EXPECT_EQ(reason(copy), "too_large");
  auto move = f.run("put", "", JsonObject{{"ops", json::array{JsonObject{{"op", "move"}, {"from", "/deep"}, {"path", "/box/in/x"}}}}});
  EXPECT_FALSE(move.ok);
  // A value made deep inside the same patch is measured as it is when the copy runs.
  auto grown = f.run("put", "", JsonObject{{"ops", json::array{
      JsonObject{{"op", "add"}, {"path", "/box/in/x"}, {"value", json::array{}}},
      JsonObject{{"op", "copy"}, {"from", "/deep"}, {"path", "/box/in/x/0"}}}}});
  EXPECT_FALSE(grown.ok);
  EXPECT_EQ(f.key.view(std::nullopt).state->at("box"), (JsonObject{{"in", JsonObject{}}}));
}

TEST(KeyAuthorityLimits, LongStringsAndMemberNamesAreTooLarge) {
  Fixture f{tight()};
  EXPECT_EQ(reason(put(f, "/s", Json(std::string(41, 'x')))), "too_large");
  EXPECT_TRUE(put(f, "/s", Json(std::string(40, 'x'))).ok);
  EXPECT_EQ(reason(put(f, "/123456789", 1)), "too_large");           // the new member's name
  EXPECT_EQ(reason(put(f, "/o", JsonObject{{"123456789", 1}})), "too_large");  // a name inside
}

TEST(KeyAuthorityLimits, ValuesThatWouldNotParseBackAreInvalid) {
  Fixture f{tight()};
  // Server code can build these; none of them survives a serialize + parse round trip.
  EXPECT_EQ(reason(put(f, "/s", Json(std::string("caf\xc3", 4)))), "invalid");  // cut inside a UTF-8 sequence
  EXPECT_EQ(reason(put(f, "/s", Json(std::string("\xed\xa0\x80", 3)))), "invalid");  // a UTF-16 surrogate
  EXPECT_EQ(reason(put(f, "/n", std::numeric_limits<double>::infinity())), "invalid");
  EXPECT_EQ(reason(put(f, "/n", std::nan(""))), "invalid");
  EXPECT_TRUE(put(f, "/s", "caf\u00e9 \U0001F600").ok);
}

TEST(KeyAuthorityLimits, ArgsThatCouldNotBeStoredInTheOpLogAreRefusedBeforeTheHandlerRuns) {
  Fixture f{tight()};
  auto o = f.run("set", "", JsonObject{{"junk", nested(7)}});
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(reason(o), "too_large");
  EXPECT_EQ(o.error.at("field"), "args");
  EXPECT_EQ(reason(f.run("set", "", JsonObject{{"s", std::string("\xff", 1)}})), "invalid");
  EXPECT_EQ(f.key.view(std::nullopt).version, 0u);
}

}  // namespace
}  // namespace cohort::store
