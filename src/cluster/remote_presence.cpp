// remote_presence.cpp — other nodes' presences and the diffs between views: see remote_presence.hpp.
#include "cluster/remote_presence.hpp"

#include <unordered_set>

#include "presence/presence_state.hpp"

namespace cohort::cluster {

namespace {

const JsonObject kEmpty;

const boost::json::array* metas_of(const JsonObject& state, std::string_view key) {
  const Json* entry = state.if_contains(key);
  if (!entry || !entry->is_object()) return nullptr;
  const Json* metas = entry->get_object().if_contains("metas");
  return metas && metas->is_array() ? &metas->get_array() : nullptr;
}

// Into out[key].metas: the metas of `a` at key whose phx_ref is not among b's metas at key.
void add_missing(const JsonObject& a, const JsonObject& b, JsonObject& out) {
  for (const auto& [key, entry] : a) {
    const auto* have = metas_of(a, key);
    if (!have) continue;
    std::unordered_set<std::string_view> refs;
    if (const auto* other = metas_of(b, key))
      for (const auto& m : *other) refs.insert(presence::ref_of(m));
    boost::json::array missing;
    for (const auto& m : *have)
      if (!refs.contains(presence::ref_of(m))) missing.push_back(m);
    if (!missing.empty()) out[key] = JsonObject{{"metas", std::move(missing)}};
  }
}

bool empty_diff(const JsonObject& diff) {
  return diff.at("joins").get_object().empty() && diff.at("leaves").get_object().empty();
}

}  // namespace

JsonObject state_diff(const JsonObject& from, const JsonObject& to) {
  JsonObject joins, leaves;
  add_missing(to, from, joins);
  add_missing(from, to, leaves);
  return JsonObject{{"joins", std::move(joins)}, {"leaves", std::move(leaves)}};
}

TopicDiff RemotePresence::apply_delta(std::uint32_t node, std::uint64_t seq, const std::string& topic,
                                      const JsonObject& joins, const JsonObject& leaves, bool* in_order) {
  NodeView& view = nodes_[node];
  bool next = !view.stale && seq == view.seq + 1;
  if (!next) view.stale = true;
  if (seq > view.seq) view.seq = seq;
  if (in_order) *in_order = next;
  JsonObject diff{{"joins", joins}, {"leaves", leaves}};
  auto& state = view.topics[topic];
  presence::apply_diff(state, diff);
  if (state.empty()) view.topics.erase(topic);
  return {topic, std::move(diff)};
}

std::vector<TopicDiff> RemotePresence::apply_digest(std::uint32_t node, std::uint64_t seq, const JsonObject& topics) {
  NodeView& view = nodes_[node];
  std::vector<TopicDiff> out;
  for (const auto& [topic, state] : view.topics) {
    const Json* next = topics.if_contains(topic);
    const JsonObject& to = next && next->is_object() ? next->get_object() : kEmpty;
    JsonObject diff = state_diff(state, to);
    if (!empty_diff(diff)) out.push_back({topic, std::move(diff)});
  }
  std::unordered_map<std::string, JsonObject> fresh;
  for (const auto& [topic, state] : topics) {
    if (!state.is_object() || state.get_object().empty()) continue;
    if (!view.topics.contains(topic)) out.push_back({topic, state_diff(kEmpty, state.get_object())});
    fresh.emplace(topic, state.get_object());
  }
  view.topics = std::move(fresh);
  view.seq = seq;
  view.stale = false;
  return out;
}

std::vector<TopicDiff> RemotePresence::drop_node(std::uint32_t node) {
  std::vector<TopicDiff> out;
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return out;
  for (const auto& [topic, state] : it->second.topics) out.push_back({topic, state_diff(state, kEmpty)});
  nodes_.erase(it);
  return out;
}

bool RemotePresence::behind(std::uint32_t node, std::uint64_t seq) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() || it->second.stale || it->second.seq < seq;
}

std::size_t RemotePresence::meta_count(std::uint32_t node) const {
  std::size_t n = 0;
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return 0;
  for (const auto& [topic, state] : it->second.topics)
    for (const auto& [key, entry] : state)
      if (const auto* metas = metas_of(state, key)) n += metas->size();
  return n;
}

}  // namespace cohort::cluster
