// topic_table.cpp — one reactor's subscribers: see topic_table.hpp.
#include "pubsub/topic_table.hpp"

#include <algorithm>

namespace cohort::pubsub {

bool TopicTable::add(std::string_view topic, Subscriber* subscriber) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) it = topics_.emplace(std::string(topic), Entry{}).first;
  auto& subs = it->second.subscribers;
  if (std::find(subs.begin(), subs.end(), subscriber) != subs.end()) return false;
  subs.push_back(subscriber);
  return ++it->second.live == 1;
}

bool TopicTable::remove(std::string_view topic, Subscriber* subscriber) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return false;
  auto& entry = it->second;
  auto pos = std::find(entry.subscribers.begin(), entry.subscribers.end(), subscriber);
  if (pos == entry.subscribers.end()) return false;
  bool in_delivery = &entry == delivering_;
  if (in_delivery) *pos = nullptr;  // a hole: compacted when delivery ends
  else entry.subscribers.erase(pos);
  if (--entry.live > 0) return false;
  if (!in_delivery) topics_.erase(it);
  return true;
}

void TopicTable::deliver(const Broadcast& message) {
  auto it = topics_.find(message.topic);
  if (it == topics_.end()) return;
  Entry& entry = it->second;  // nodes are stable: add() of another topic cannot move it
  ++entry.delivered;
  delivering_ = &entry;
  std::size_t n = entry.subscribers.size();
  bool holes = false;
  for (std::size_t i = 0; i < n; ++i) {
    Subscriber* s = entry.subscribers[i];
    if (s == nullptr) {
      holes = true;
      continue;
    }
    if (s != message.from) s->on_broadcast(message);
  }
  delivering_ = nullptr;
  // `it` may be stale (a subscriber's add() can rehash the map); `entry` is not.
  if (holes || entry.live != entry.subscribers.size()) std::erase(entry.subscribers, nullptr);
  if (entry.live == 0) topics_.erase(message.topic);
}

void TopicTable::figures(std::size_t top, std::string_view every, std::vector<TopicFigures>& out) const {
  using Item = decltype(topics_)::const_pointer;
  std::vector<Item> all;
  all.reserve(topics_.size());
  for (const auto& item : topics_) {
    if (!every.empty() && item.first.starts_with(every))
      out.push_back({item.first, item.second.live, item.second.delivered});
    else
      all.push_back(&item);
  }
  auto take = [&](auto more) {
    const std::size_t n = std::min(top, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), more);
    for (std::size_t i = 0; i < n; ++i) out.push_back({all[i]->first, all[i]->second.live, all[i]->second.delivered});
    all.erase(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));  // listed once
  };
  take([](Item a, Item b) { return a->second.live > b->second.live; });
  take([](Item a, Item b) { return a->second.delivered > b->second.delivered; });
}

std::size_t TopicTable::count(std::string_view topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? 0 : it->second.live;
}

}  // namespace cohort::pubsub
