// store_wire_test.cpp — src/cluster/store_wire.*: every forwarded store message survives the
// round trip, and malformed input is an error, never a half-filled request.
#include "cluster/store_wire.hpp"

#include <gtest/gtest.h>

namespace cohort::cluster {
namespace {

template <class T>
T decode_as(const std::string& bytes) {
  auto d = decode_store_message(bytes);
  EXPECT_TRUE(std::holds_alternative<T>(d)) << bytes;
  return std::holds_alternative<T>(d) ? std::get<T>(d) : T{};
}

TEST(StoreWire, AnOpRequestRoundTrips) {
  StoreRequest r{StoreRequest::Kind::op, 42, 7, {}, {}};
  r.call.key = "doc:1";
  r.call.name = "incr";
  r.call.args = JsonObject{{"counter", "a"}};
  r.call.actor = Actor{"ed", {"editor", "owner"}, "Ed Itor"};
  r.call.session = (std::uint64_t{7} << 40) + 3;
  r.call.expect_version = 9;
  r.call.op_id = "5f0c-retry-safe";
  auto back = decode_as<StoreRequest>(encode_store_request(r));
  EXPECT_EQ(back.kind, StoreRequest::Kind::op);
  EXPECT_EQ(back.id, 42u);
  EXPECT_EQ(back.from, 7u);
  EXPECT_EQ(back.call.key, "doc:1");
  EXPECT_EQ(back.call.name, "incr");
  EXPECT_EQ(back.call.args, r.call.args);
  EXPECT_EQ(back.call.actor.id, "ed");
  EXPECT_EQ(back.call.actor.roles, r.call.actor.roles);
  EXPECT_EQ(back.call.actor.name, "Ed Itor") << "the owner node shows the same name as the caller's";
  EXPECT_EQ(back.call.session, r.call.session);
  EXPECT_EQ(back.call.expect_version, std::optional<std::uint64_t>(9));
  EXPECT_EQ(back.call.op_id, "5f0c-retry-safe");
}

TEST(StoreWire, ViewAndEndRequestsRoundTrip) {
  StoreRequest v{StoreRequest::Kind::view, 5, 2, {}, std::uint64_t{17}};
  v.call.key = "poll:x";
  auto vb = decode_as<StoreRequest>(encode_store_request(v));
  EXPECT_EQ(vb.kind, StoreRequest::Kind::view);
  EXPECT_EQ(vb.call.key, "poll:x");
  EXPECT_EQ(vb.since, std::optional<std::uint64_t>(17));
  StoreRequest e{StoreRequest::Kind::end, 0, 2, {}, {}};
  e.call.key = "poll:x";
  e.call.session = 99;
  auto eb = decode_as<StoreRequest>(encode_store_request(e));
  EXPECT_EQ(eb.kind, StoreRequest::Kind::end);
  EXPECT_EQ(eb.call.session, 99u);
}

TEST(StoreWire, RepliesRoundTrip) {
  StoreReply ok{StoreReply::Kind::op, 3, false, OpOutcome{true, 12, {}}, {}};
  auto okb = decode_as<StoreReply>(encode_store_reply(ok));
  EXPECT_TRUE(okb.outcome.ok);
  EXPECT_EQ(okb.outcome.version, 12u);
  EXPECT_FALSE(okb.moved);
  StoreReply no{StoreReply::Kind::op, 4, false, OpOutcome{false, 12, {{"reason", "locked"}, {"holder", "ann"}}}, {}};
  auto nob = decode_as<StoreReply>(encode_store_reply(no));
  EXPECT_FALSE(nob.outcome.ok);
  EXPECT_EQ(nob.outcome.error, no.outcome.error);
  StoreReply moved{StoreReply::Kind::op, 5, true, {}, {}};
  EXPECT_TRUE(decode_as<StoreReply>(encode_store_reply(moved)).moved);
  StoreView view;
  view.ok = true;
  view.version = 8;
  view.state = JsonObject{{"n", 1}};
  view.locks = {{"/title", JsonObject{{"holder", "ann"}}}};
  StoreReply vr{StoreReply::Kind::view, 6, false, {}, view};
  auto vb = decode_as<StoreReply>(encode_store_reply(vr));
  EXPECT_EQ(vb.kind, StoreReply::Kind::view);
  EXPECT_TRUE(vb.view.ok);
  EXPECT_EQ(vb.view.version, 8u);
  EXPECT_EQ(vb.view.state, view.state);
  EXPECT_FALSE(vb.view.patches);
  EXPECT_EQ(vb.view.locks, view.locks);
}

TEST(StoreWire, MalformedMessagesAreErrors) {
  for (const char* bad : {"", "[]", "{}", R"({"t":"op","id":1,"from":2})", R"({"t":"op","id":1,"from":2,"call":{"key":"k"}})",
                          R"({"t":"view","id":1,"from":2})", R"({"t":"end","key":"k"})", R"({"t":"r"})",
                          R"({"t":"r","id":1})", R"({"t":"zap","id":1,"from":2})", R"({"t":"op","id":-1,"from":2,"call":{}})"}) {
    EXPECT_TRUE(std::holds_alternative<WireError>(decode_store_message(bad))) << bad;
  }
}

}  // namespace
}  // namespace cohort::cluster
