// key_authority_test.cpp — src/store/key_authority.hpp without storage: the state size limit
// is about the state, not about how many ops touched it.
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
  return kind;
}

struct Fixture {
  StoreKind kind = small_kind();
  net::Reactor reactor{0};
  NullPubSub pubsub;
  KeyAuthority key{"t:1", {kind, nullptr, pubsub, reactor}};

  OpOutcome run(const char* op) {
    OpOutcome out;
    OpCall call;
    call.key = "t:1";
    call.name = op;
    key.apply(std::move(call), [&](OpOutcome r) { out = std::move(r); });
    reactor.context().poll();
    reactor.context().restart();
    return out;
  }
};

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
