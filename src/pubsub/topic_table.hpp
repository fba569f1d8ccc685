// topic_table.hpp — one reactor's subscribers, by topic.
//
// Owns: the map topic → subscribers for the sockets and in-process subscribers of ONE reactor.
// Owner-thread-only: no lock, because only its reactor reads or writes it. It must never call
// into another reactor. Delivery tolerates subscribers that subscribe or unsubscribe from
// inside on_broadcast: a removal from the topic being delivered leaves a hole that is compacted
// after the loop, and an addition does not receive the message being delivered.
#pragma once

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

class TopicTable {
 public:
  // Returns true when topic had no subscriber here before.
  bool add(std::string_view topic, Subscriber* subscriber);
  // Returns true when topic has no subscriber here any more.
  bool remove(std::string_view topic, Subscriber* subscriber);
  void deliver(const Broadcast& message);
  std::size_t count(std::string_view topic) const;

 private:
  struct Entry {
    std::vector<Subscriber*> subscribers;  // may hold nullptr holes while delivering
    std::size_t live = 0;
  };
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> topics_;
  // The entry being delivered. Delivery never nests: deliver() runs from a posted handler and a
  // subscriber that publishes only posts.
  Entry* delivering_ = nullptr;
};

}  // namespace cohort::pubsub
