// watchers.cpp — the presence watchers of one reactor: see watchers.hpp.
#include "presence/watchers.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>

#include "net/log_clip.hpp"
#include "log/log.hpp"

namespace cohort::presence {

std::shared_ptr<Watchers::Entry> Watchers::add(const std::string& topic, PresenceWatcher fn) {
  auto entry = std::make_shared<Entry>(Entry{std::move(fn), true});
  by_topic_[topic].push_back(entry);
  return entry;
}

void Watchers::remove(const std::string& topic, const std::shared_ptr<Entry>& entry) {
  entry->live = false;
  auto it = by_topic_.find(topic);
  if (it == by_topic_.end()) return;
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), entry), list.end());
  if (list.empty()) by_topic_.erase(it);
}

void Watchers::notify(std::string_view topic, const PresenceChange& change) {
  auto it = by_topic_.find(topic);
  if (it == by_topic_.end()) return;
  auto snapshot = it->second;  // watchers may be added or removed by the calls below
  for (const auto& entry : snapshot)
    if (entry->live) call(*entry, topic, change);
}

void Watchers::call(const Entry& entry, std::string_view topic, const PresenceChange& change) {
  if (!entry.fn) return;
  try {
    entry.fn(change);
  } catch (const std::exception& e) {
    log::event(log::Category::presence, log::Level::error, "watcher_threw",
               {{"topic", net::log_clip(topic)}, {"error", net::log_clip(e.what())}});
  } catch (...) {
    log::event(log::Category::presence, log::Level::error, "watcher_threw", {{"topic", net::log_clip(topic)}});
  }
}

}  // namespace cohort::presence
