// watchers.hpp — the presence watchers of one reactor (Presence::watch).
//
// Owns: per topic, the watchers registered on its reactor, in registration order.
// Owner-thread-only (that reactor's), no locks: the Tracker calls notify() from the handler that
// has just applied a diff to the reactor's replica. A watcher may add or remove watchers (of any
// topic) from inside its call: one removed before its turn is not called; one added during a
// notify is not called for that change (its first call already showed the list with it).
// Failure: a watcher that throws is reported on stderr; the others are still called.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cohort/presence.hpp"
#include "pubsub/topic_table.hpp"

namespace cohort::presence {

class Watchers {
 public:
  struct Entry {
    PresenceWatcher fn;
    bool live = true;
  };

  std::shared_ptr<Entry> add(const std::string& topic, PresenceWatcher fn);
  void remove(const std::string& topic, const std::shared_ptr<Entry>& entry);
  // Calls every live watcher of topic with change.
  void notify(std::string_view topic, const PresenceChange& change);
  bool empty() const { return by_topic_.empty(); }

  // Calls one watcher, reporting an exception instead of letting it reach the reactor.
  static void call(const Entry& entry, std::string_view topic, const PresenceChange& change);

 private:
  std::unordered_map<std::string, std::vector<std::shared_ptr<Entry>>, pubsub::StringHash, std::equal_to<>> by_topic_;
};

}  // namespace cohort::presence
