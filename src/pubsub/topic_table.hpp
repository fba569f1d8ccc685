// topic_table.hpp — one reactor's subscribers, by topic.
//
// Owns: the map topic → subscribers for the sockets and in-process subscribers of ONE reactor.
// Owner-thread-only: no lock, because only its reactor reads or writes it. It must never call
// into another reactor. Delivery tolerates subscribers that subscribe or unsubscribe from
// inside on_broadcast: a removal from the topic being delivered leaves a hole that is compacted
// after the loop, and an addition does not receive the message being delivered.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cohort/pubsub.hpp"

namespace cohort::pubsub {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One topic as this reactor sees it (for the node's status, node_status.hpp): its subscribers
// here, and the messages delivered here since the topic got its first subscriber here.
struct TopicFigures {
  std::string topic;
  std::size_t subscribers = 0;
  std::uint64_t delivered = 0;
};

class TopicTable {
 public:
  // Returns true when topic had no subscriber here before.
  bool add(std::string_view topic, Subscriber* subscriber);
  // Returns true when topic has no subscriber here any more.
  bool remove(std::string_view topic, Subscriber* subscriber);
  void deliver(const Broadcast& message);
  std::size_t count(std::string_view topic) const;
  // Appends the figures of the `top` topics with the most subscribers, of the `top` with the
  // most messages delivered, and of every topic starting with `every` (bounded by its owner:
  // store topics, at most the loaded keys). Walks the table once: for a sample a second, never
  // for the broadcast path.
  void figures(std::size_t top, std::string_view every, std::vector<TopicFigures>& out) const;

 private:
  struct Entry {
    std::vector<Subscriber*> subscribers;  // may hold nullptr holes while delivering
    std::size_t live = 0;
    std::uint64_t delivered = 0;  // messages delivered to this topic here (one add per message)
  };
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> topics_;
  // The entry being delivered. Delivery never nests: deliver() runs from a posted handler and a
  // subscriber that publishes only posts.
  Entry* delivering_ = nullptr;
};

}  // namespace cohort::pubsub
