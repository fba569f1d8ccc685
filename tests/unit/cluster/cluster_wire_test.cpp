// cluster_wire_test.cpp — the version-1 cluster message codec (src/cluster/cluster_wire.*).
#include "cluster/cluster_wire.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cohort::cluster {
namespace {

TEST(ClusterWire, JsonBroadcastRoundTrips) {
  Broadcast b;
  b.topic = "room:lobby";
  b.event = "shout";
  b.payload = json::parse(R"({"body":"hi\nthere","n":[1,2]})");
  std::string bytes = encode_broadcast(0x2a, b);
  EXPECT_TRUE(bytes.starts_with("C1 0000002a j 5\nshout"));
  auto out = decode_broadcast("room:lobby", bytes);
  ASSERT_TRUE(std::holds_alternative<WireBroadcast>(out));
  const auto& w = std::get<WireBroadcast>(out);
  EXPECT_EQ(w.node, 0x2au);
  EXPECT_EQ(w.message.topic, "room:lobby");
  EXPECT_EQ(w.message.event, "shout");
  EXPECT_EQ(w.message.payload, b.payload);
  EXPECT_FALSE(w.message.is_binary);
}

TEST(ClusterWire, BinaryBroadcastKeepsEveryByteAndOddEvents) {
  Broadcast b;
  b.event = std::string("ev\n with newline", 16);
  b.is_binary = true;
  b.binary = std::string("\0\xff\n C1 ", 7);
  auto out = decode_broadcast("t", encode_broadcast(0xffffffff, b));
  ASSERT_TRUE(std::holds_alternative<WireBroadcast>(out));
  const auto& w = std::get<WireBroadcast>(out);
  EXPECT_EQ(w.node, 0xffffffffu);
  EXPECT_EQ(w.message.event, b.event);
  EXPECT_TRUE(w.message.is_binary);
  EXPECT_EQ(w.message.binary, b.binary);
}

TEST(ClusterWire, BadBroadcastsAreErrorsNotCrashes) {
  for (std::string_view bad : {"", "C2 00000001 j 1\nx{}", "C1 00000001 j 1", "C1 zz j 1\nx{}",
                               "C1 00000001 q 1\nx{}", "C1 00000001 j 99\nx{}", "C1 00000001 j 1\nx{oops",
                               "C1 00000001 j -1\nx", "C1 00000001j 1\nx1"}) {
    auto out = decode_broadcast("t", bad);
    EXPECT_TRUE(std::holds_alternative<WireError>(out)) << bad;
  }
}

TEST(ClusterWire, ControlMessagesRoundTrip) {
  ControlMessage d;
  d.kind = ControlKind::delta;
  d.node = 7;
  d.seq = 12;
  d.topic = "room:x";
  d.joins = json::parse(R"({"alice":{"metas":[{"phx_ref":"r1"}]}})").get_object();
  auto out = decode_control(encode_control(d));
  ASSERT_TRUE(std::holds_alternative<ControlMessage>(out));
  const auto& m = std::get<ControlMessage>(out);
  EXPECT_EQ(m.kind, ControlKind::delta);
  EXPECT_EQ(m.node, 7u);
  EXPECT_EQ(m.seq, 12u);
  EXPECT_EQ(m.topic, "room:x");
  EXPECT_EQ(m.joins, d.joins);
  EXPECT_TRUE(m.leaves.empty());

  ControlMessage s;
  s.kind = ControlKind::sync;
  s.node = 1;
  s.to = 3;
  auto so = decode_control(encode_control(s));
  ASSERT_TRUE(std::holds_alternative<ControlMessage>(so));
  EXPECT_EQ(std::get<ControlMessage>(so).to, 3u);

  ControlMessage f;
  f.kind = ControlKind::digest;
  f.node = 2;
  f.seq = 5;
  f.topics["room:x"] = d.joins;
  auto fo = decode_control(encode_control(f));
  ASSERT_TRUE(std::holds_alternative<ControlMessage>(fo));
  EXPECT_EQ(std::get<ControlMessage>(fo).topics, f.topics);
}

TEST(ClusterWire, BadControlMessagesAreErrors) {
  for (std::string_view bad : {"", "[]", R"({"v":2,"k":"hb","n":1,"s":1})", R"({"v":1,"k":"hb","s":1})",
                               R"({"v":1,"k":"nope","n":1})", R"({"v":1,"k":"hb","n":1})",
                               R"({"v":1,"k":"d","n":1,"s":1,"t":"x","j":{}})", R"({"v":1,"k":"full","n":1,"s":1})",
                               R"({"v":1,"k":"sync","n":1})", R"({"v":1,"k":"hb","n":-1,"s":1})"}) {
    EXPECT_TRUE(std::holds_alternative<WireError>(decode_control(bad))) << bad;
  }
}

}  // namespace
}  // namespace cohort::cluster
