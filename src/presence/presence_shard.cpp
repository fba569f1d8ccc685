// presence_shard.cpp — authoritative presence per owned topic: see presence_shard.hpp.
#include "presence/presence_shard.hpp"

#include <algorithm>

#include "presence/presence_state.hpp"

namespace cohort::presence {

PresenceShard::PresenceShard(net::Reactor& reactor, std::chrono::milliseconds tick, Publish publish,
                             std::size_t max_stretch, PresenceLimits limits)
    : limits_(limits),
      tick_(tick),
      max_stretch_(std::max<std::size_t>(max_stretch, 1)),
      publish_(std::move(publish)),
      timer_(reactor.context()) {}

bool PresenceShard::fits(const TopicUsage& usage, std::ptrdiff_t entries, std::ptrdiff_t bytes) const {
  if (entries > 0 && usage.entries + static_cast<std::size_t>(entries) > limits_.max_topic_entries) {
    limits_.refused(net::Limit::presence_topic_entries);
    return false;
  }
  if (bytes > 0 && usage.bytes + static_cast<std::size_t>(bytes) > limits_.max_topic_bytes) {
    limits_.refused(net::Limit::presence_topic_bytes);
    return false;
  }
  return true;
}

void PresenceShard::forget_if_empty(const std::string& topic) {
  auto it = topics_.find(topic);
  if (it != topics_.end() && it->second.keys.empty() && !it->second.dirty) topics_.erase(it);
}

bool PresenceShard::track(std::uint64_t owner, const std::string& topic, const std::string& key, JsonObject meta,
                          std::size_t cost) {
  TopicState& t = topics_[topic];
  if (!fits(t.usage, 1, static_cast<std::ptrdiff_t>(cost))) {
    forget_if_empty(topic);
    return false;
  }
  add_join(t, key, meta);
  auto& metas = t.keys[key];
  if (metas.empty() && keys_gauge_) keys_gauge_->fetch_add(1, std::memory_order_relaxed);
  metas.push_back({owner, std::move(meta), cost});
  t.usage.entries += 1;
  t.usage.bytes += cost;
  mark(topic, t);
  return true;
}

PresenceShard::Found PresenceShard::find(const std::string& topic, const std::string& key) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return {};
  auto k = it->second.keys.find(key);
  if (k == it->second.keys.end()) return {};
  return {&it->second, k};
}

bool PresenceShard::update(std::uint64_t owner, const std::string& topic, const std::string& key, JsonObject meta,
                           std::size_t cost) {
  auto [state, k] = find(topic, key);
  if (!state) return false;
  TopicState& t = *state;
  auto& metas = k->second;
  auto mine = std::stable_partition(metas.begin(), metas.end(), [&](const Meta& m) { return m.owner != owner; });
  if (mine == metas.end()) return false;  // owner tracks nothing under key
  std::size_t old_cost = 0;
  for (auto m = mine; m != metas.end(); ++m) old_cost += m->cost;
  auto replaced = static_cast<std::ptrdiff_t>(metas.end() - mine);
  if (!fits(t.usage, 1 - replaced, static_cast<std::ptrdiff_t>(cost) - static_cast<std::ptrdiff_t>(old_cost))) return false;
  meta["phx_ref_prev"] = mine->meta["phx_ref"];
  for (auto m = mine; m != metas.end(); ++m) add_leave(t, key, m->meta);
  metas.erase(mine, metas.end());
  add_join(t, key, meta);
  metas.push_back({owner, std::move(meta), cost});
  t.usage.entries = t.usage.entries + 1 - replaced;
  t.usage.bytes = t.usage.bytes + cost - old_cost;
  mark(topic, t);
  return true;
}

void PresenceShard::untrack(std::uint64_t owner, const std::string& topic, const std::string& key) {
  auto [state, k] = find(topic, key);
  if (!state) return;
  TopicState& t = *state;
  auto& metas = k->second;
  bool changed = false;
  for (auto m = metas.begin(); m != metas.end();) {
    if (m->owner != owner) {
      ++m;
      continue;
    }
    add_leave(t, key, m->meta);
    t.usage.entries -= 1;
    t.usage.bytes -= m->cost;
    m = metas.erase(m);
    changed = true;
  }
  if (metas.empty()) {
    t.keys.erase(k);
    if (keys_gauge_) keys_gauge_->fetch_sub(1, std::memory_order_relaxed);
  }
  if (changed) mark(topic, t);
}

std::size_t PresenceShard::meta_count(const std::string& topic) const {
  auto it = topics_.find(topic);
  if (it == topics_.end()) return 0;
  std::size_t n = 0;
  for (const auto& [key, metas] : it->second.keys) n += metas.size();
  return n;
}

TopicUsage PresenceShard::usage(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? TopicUsage{} : it->second.usage;
}

void PresenceShard::add_join(TopicState& t, const std::string& key, const JsonObject& meta) {
  auto& entry = t.joins[key];
  if (!entry.is_object()) entry = JsonObject{{"metas", json::array{}}};
  entry.as_object()["metas"].as_array().push_back(meta);
}

void PresenceShard::add_leave(TopicState& t, const std::string& key, const JsonObject& meta) {
  // A meta that joined within this tick was never published: its leave cancels the join.
  if (auto* joined = t.joins.if_contains(key)) {
    auto& metas = joined->as_object()["metas"].as_array();
    std::string_view ref = meta.at("phx_ref").as_string();
    auto pos = std::find_if(metas.begin(), metas.end(), [&](const Json& m) { return ref_of(m) == ref; });
    if (pos != metas.end()) {
      metas.erase(pos);
      if (metas.empty()) t.joins.erase(key);
      return;
    }
  }
  auto& entry = t.leaves[key];
  if (!entry.is_object()) entry = JsonObject{{"metas", json::array{}}};
  entry.as_object()["metas"].as_array().push_back(meta);
}

std::chrono::milliseconds PresenceShard::period_for(std::size_t keys) const {
  std::size_t stretch = std::clamp<std::size_t>((keys + kKeysPerTick - 1) / kKeysPerTick, 1, max_stretch_);
  return tick_ * static_cast<long>(stretch);
}

void PresenceShard::mark(const std::string& topic, TopicState& t) {
  if (!t.dirty) {
    t.dirty = true;
    t.due = std::chrono::steady_clock::now() + period_for(t.keys.size());
    dirty_.push_back(topic);
  }
  arm(t.due);
}

// Makes the timer fire at `when` at the latest.
void PresenceShard::arm(std::chrono::steady_clock::time_point when) {
  if (armed_ && armed_for_ <= when) return;
  armed_ = true;
  armed_for_ = when;
  timer_.expires_at(when);  // cancels an earlier wait, whose handler then sees operation_aborted
  timer_.async_wait([this, when](const boost::system::error_code& ec) {
    if (ec || armed_for_ != when) return;
    armed_ = false;
    flush();
  });
}

void PresenceShard::flush() {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::string> dirty;
  dirty.swap(dirty_);
  for (const auto& topic : dirty) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) continue;
    TopicState& t = it->second;
    if (t.due > now) {  // a stretched topic: not yet
      dirty_.push_back(topic);
      arm(t.due);
      continue;
    }
    t.dirty = false;
    if (t.joins.empty() && t.leaves.empty()) continue;  // everything cancelled out
    auto diff = std::make_shared<const JsonObject>(
        JsonObject{{"joins", std::exchange(t.joins, {})}, {"leaves", std::exchange(t.leaves, {})}});
    publish_(topic, std::move(diff));
    if (t.keys.empty()) topics_.erase(it);
  }
}

}  // namespace cohort::presence
