// topic_table_test.cpp — src/pubsub/topic_table.hpp: one reactor's subscribers by topic,
// including subscribers that subscribe or unsubscribe from inside on_broadcast.
#include "pubsub/topic_table.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace cohort::pubsub {
namespace {

// Records what it received; optionally runs a hook inside on_broadcast.
class Recorder : public Subscriber {
 public:
  void on_broadcast(const Broadcast& m) override {
    received.push_back(m.event);
    if (hook) hook(m);
  }
  std::vector<std::string> received;
  std::function<void(const Broadcast&)> hook;
};

Broadcast message(std::string topic, std::string event, const void* from = nullptr) {
  Broadcast m;
  m.topic = std::move(topic);
  m.event = std::move(event);
  m.from = from;
  return m;
}

using Events = std::vector<std::string>;

TEST(TopicTable, AddReportsTheFirstSubscriber) {
  TopicTable table;
  Recorder a, b;
  EXPECT_TRUE(table.add("t", &a));
  EXPECT_FALSE(table.add("t", &b));
  EXPECT_TRUE(table.add("u", &b));  // first on another topic
  EXPECT_EQ(table.count("t"), 2u);
  EXPECT_EQ(table.count("u"), 1u);
  EXPECT_EQ(table.count("none"), 0u);
}

TEST(TopicTable, DuplicateAddIsANoOp) {
  TopicTable table;
  Recorder a;
  EXPECT_TRUE(table.add("t", &a));
  EXPECT_FALSE(table.add("t", &a));
  EXPECT_EQ(table.count("t"), 1u);
  table.deliver(message("t", "once"));
  EXPECT_EQ(a.received, Events{"once"});
  // One remove undoes it.
  EXPECT_TRUE(table.remove("t", &a));
  EXPECT_EQ(table.count("t"), 0u);
}

TEST(TopicTable, RemoveReportsTheLastSubscriber) {
  TopicTable table;
  Recorder a, b;
  table.add("t", &a);
  table.add("t", &b);
  EXPECT_FALSE(table.remove("t", &a));
  EXPECT_EQ(table.count("t"), 1u);
  EXPECT_FALSE(table.remove("t", &a));  // not subscribed any more
  EXPECT_TRUE(table.remove("t", &b));
  EXPECT_EQ(table.count("t"), 0u);
  EXPECT_FALSE(table.remove("t", &b));
  EXPECT_FALSE(table.remove("never", &b));
  // The topic can start again.
  EXPECT_TRUE(table.add("t", &b));
}

TEST(TopicTable, DeliverReachesOnlyTheTopicsSubscribers) {
  TopicTable table;
  Recorder a, b, c;
  table.add("t", &a);
  table.add("t", &b);
  table.add("u", &c);
  table.deliver(message("t", "m1"));
  table.deliver(message("none", "m2"));
  EXPECT_EQ(a.received, Events{"m1"});
  EXPECT_EQ(b.received, Events{"m1"});
  EXPECT_TRUE(c.received.empty());
}

TEST(TopicTable, DeliverSkipsFrom) {
  TopicTable table;
  Recorder a, b, c;
  table.add("t", &a);
  table.add("t", &b);
  table.add("t", &c);
  table.deliver(message("t", "m", static_cast<const void*>(&b)));
  EXPECT_EQ(a.received, Events{"m"});
  EXPECT_TRUE(b.received.empty());
  EXPECT_EQ(c.received, Events{"m"});
}

TEST(TopicTable, SubscriberUnsubscribingItselfDuringDelivery) {
  TopicTable table;
  Recorder a, b, c;
  table.add("t", &a);
  table.add("t", &b);
  table.add("t", &c);
  bool last = true;
  b.hook = [&](const Broadcast&) { last = table.remove("t", &b); };
  table.deliver(message("t", "m1"));
  EXPECT_FALSE(last);
  EXPECT_EQ(a.received, Events{"m1"});
  EXPECT_EQ(b.received, Events{"m1"});
  EXPECT_EQ(c.received, Events{"m1"});  // the one after the hole still gets it
  EXPECT_EQ(table.count("t"), 2u);

  b.hook = nullptr;
  table.deliver(message("t", "m2"));
  EXPECT_EQ(a.received, (Events{"m1", "m2"}));
  EXPECT_EQ(b.received, Events{"m1"});
  EXPECT_EQ(c.received, (Events{"m1", "m2"}));
}

TEST(TopicTable, SubscriberUnsubscribingAnotherDuringDelivery) {
  TopicTable table;
  Recorder a, b, c, d;
  for (Recorder* r : {&a, &b, &c, &d}) table.add("t", r);
  // b removes a (already delivered) and c (not yet delivered).
  b.hook = [&](const Broadcast&) {
    table.remove("t", &a);
    table.remove("t", &c);
  };
  table.deliver(message("t", "m1"));
  EXPECT_EQ(a.received, Events{"m1"});
  EXPECT_EQ(b.received, Events{"m1"});
  EXPECT_TRUE(c.received.empty());  // removed before its turn: not delivered
  EXPECT_EQ(d.received, Events{"m1"});
  EXPECT_EQ(table.count("t"), 2u);

  b.hook = nullptr;
  table.deliver(message("t", "m2"));
  EXPECT_EQ(a.received, Events{"m1"});
  EXPECT_EQ(b.received, (Events{"m1", "m2"}));
  EXPECT_TRUE(c.received.empty());
  EXPECT_EQ(d.received, (Events{"m1", "m2"}));
}

TEST(TopicTable, EverySubscriberLeavingDuringDeliveryEmptiesTheTopic) {
  TopicTable table;
  Recorder a, b;
  table.add("t", &a);
  table.add("t", &b);
  std::vector<bool> lasts;
  a.hook = [&](const Broadcast&) { lasts.push_back(table.remove("t", &a)); };
  b.hook = [&](const Broadcast&) { lasts.push_back(table.remove("t", &b)); };
  table.deliver(message("t", "m1"));
  EXPECT_EQ(lasts, (std::vector<bool>{false, true}));
  EXPECT_EQ(table.count("t"), 0u);
  table.deliver(message("t", "m2"));
  EXPECT_EQ(a.received, Events{"m1"});
  EXPECT_EQ(b.received, Events{"m1"});
  // A fresh subscriber is the topic's first again.
  a.hook = nullptr;
  EXPECT_TRUE(table.add("t", &a));
  table.deliver(message("t", "m3"));
  EXPECT_EQ(a.received, (Events{"m1", "m3"}));
}

TEST(TopicTable, SubscriberAddedDuringDeliveryMissesThatMessage) {
  TopicTable table;
  Recorder a, late;
  table.add("t", &a);
  bool first = true;
  a.hook = [&](const Broadcast&) {
    first = table.add("t", &late);
    a.hook = nullptr;
  };
  table.deliver(message("t", "m1"));
  EXPECT_FALSE(first);
  EXPECT_TRUE(late.received.empty());
  EXPECT_EQ(table.count("t"), 2u);
  table.deliver(message("t", "m2"));
  EXPECT_EQ(a.received, (Events{"m1", "m2"}));
  EXPECT_EQ(late.received, Events{"m2"});
}

TEST(TopicTable, LeavingAndRejoiningDuringDeliveryGetsNoSecondCopy) {
  TopicTable table;
  Recorder a, b;
  table.add("t", &a);
  table.add("t", &b);
  a.hook = [&](const Broadcast&) {
    table.remove("t", &a);
    table.add("t", &a);  // back at the end of the list, behind b
    a.hook = nullptr;
  };
  table.deliver(message("t", "m1"));
  EXPECT_EQ(a.received, Events{"m1"});
  EXPECT_EQ(b.received, Events{"m1"});
  EXPECT_EQ(table.count("t"), 2u);
  table.deliver(message("t", "m2"));
  EXPECT_EQ(a.received, (Events{"m1", "m2"}));
  EXPECT_EQ(b.received, (Events{"m1", "m2"}));
}

TEST(TopicTable, AddedThenRemovedDuringDeliveryLeavesNoTrace) {
  TopicTable table;
  Recorder a, ghost;
  table.add("t", &a);
  a.hook = [&](const Broadcast&) {
    table.add("t", &ghost);
    table.remove("t", &ghost);
  };
  table.deliver(message("t", "m1"));
  a.hook = nullptr;
  EXPECT_EQ(table.count("t"), 1u);
  table.deliver(message("t", "m2"));
  EXPECT_TRUE(ghost.received.empty());
  EXPECT_EQ(a.received, (Events{"m1", "m2"}));
}

TEST(TopicTable, SwitchingTopicsDuringDeliveryKeepsBothTopicsConsistent) {
  // A subscriber that leaves the topic being delivered for many new ones (forcing the map to
  // grow) while it is the last subscriber: the emptied topic must still be dropped cleanly.
  TopicTable table;
  Recorder a;
  table.add("old", &a);
  a.hook = [&](const Broadcast&) {
    EXPECT_TRUE(table.remove("old", &a));
    for (int i = 0; i < 200; ++i) table.add("new:" + std::to_string(i), &a);
  };
  table.deliver(message("old", "m1"));
  a.hook = nullptr;
  EXPECT_EQ(table.count("old"), 0u);
  EXPECT_EQ(table.count("new:0"), 1u);
  EXPECT_EQ(table.count("new:199"), 1u);
  table.deliver(message("old", "lost"));
  table.deliver(message("new:7", "m2"));
  EXPECT_EQ(a.received, (Events{"m1", "m2"}));
  EXPECT_TRUE(table.add("old", &a));
}

TEST(TopicTable, UnsubscribingFromAnotherTopicDuringDelivery) {
  TopicTable table;
  Recorder a, b;
  table.add("t", &a);
  table.add("t", &b);
  table.add("u", &b);
  a.hook = [&](const Broadcast&) { EXPECT_TRUE(table.remove("u", &b)); };
  table.deliver(message("t", "m1"));
  EXPECT_EQ(b.received, Events{"m1"});
  EXPECT_EQ(table.count("u"), 0u);
  EXPECT_EQ(table.count("t"), 2u);
}

// The node's status (node_status.hpp): each topic's subscribers and messages delivered here,
// the top ones of each ranking once, and every topic of the `every` prefix.
TEST(TopicTable, FiguresRankTopicsAndListEveryPrefixedOne) {
  TopicTable table;
  Recorder a, b, c;
  for (auto* s : {&a, &b, &c}) table.add("crowd", s);
  table.add("busy", &a);
  table.add("quiet", &b);
  table.add("store:doc:1", &c);
  for (int i = 0; i < 5; ++i) table.deliver(message("busy", "e"));
  table.deliver(message("crowd", "e"));
  std::vector<TopicFigures> out;
  table.figures(1, "store:", out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].topic, "store:doc:1");  // every prefixed topic, whatever its rank
  EXPECT_EQ(out[0].subscribers, 1u);
  EXPECT_EQ(out[1].topic, "crowd");  // most subscribers
  EXPECT_EQ(out[1].subscribers, 3u);
  EXPECT_EQ(out[1].delivered, 1u);
  EXPECT_EQ(out[2].topic, "busy");  // most messages, among the rest
  EXPECT_EQ(out[2].delivered, 5u);
  // A topic that lost its last subscriber starts over.
  table.remove("busy", &a);
  table.add("busy", &a);
  out.clear();
  table.figures(10, "", out);
  for (const auto& f : out) {
    if (f.topic == "busy") {
      EXPECT_EQ(f.delivered, 0u);
    }
  }
  EXPECT_EQ(out.size(), 4u);  // each topic once
}

}  // namespace
}  // namespace cohort::pubsub
