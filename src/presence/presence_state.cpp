// presence_state.cpp — the presence merge rule: see presence_state.hpp.
#include "presence/presence_state.hpp"

#include <algorithm>

namespace cohort::presence {

std::string_view ref_of(const Json& meta) {
  if (!meta.is_object()) return {};
  auto* ref = meta.get_object().if_contains("phx_ref");
  return ref && ref->is_string() ? std::string_view(ref->get_string()) : std::string_view{};
}

namespace {

json::array& metas_of(Json& entry) {
  auto& obj = entry.as_object();
  auto* metas = obj.if_contains("metas");
  if (!metas || !metas->is_array()) return obj["metas"].emplace_array();
  return metas->get_array();
}

const json::array* metas_in(const Json& entry) {
  if (!entry.is_object()) return nullptr;
  auto* metas = entry.get_object().if_contains("metas");
  return metas && metas->is_array() ? &metas->get_array() : nullptr;
}

void join(JsonObject& state, std::string_view key, const Json& joined) {
  const json::array* incoming = metas_in(joined);
  if (!incoming) return;
  auto it = state.find(key);
  if (it == state.end()) {
    state[key] = joined;
    return;
  }
  // Keep the known metas whose ref is not re-joined, in front of the joined ones.
  json::array merged;
  for (const auto& m : metas_of(it->value())) {
    auto ref = ref_of(m);
    bool rejoined = std::any_of(incoming->begin(), incoming->end(), [&](const Json& j) { return ref_of(j) == ref; });
    if (!rejoined) merged.push_back(m);
  }
  for (const auto& m : *incoming) merged.push_back(m);
  Json entry = joined;
  entry.as_object()["metas"] = std::move(merged);
  it->value() = std::move(entry);
}

void leave(JsonObject& state, std::string_view key, const Json& left) {
  const json::array* gone = metas_in(left);
  auto it = state.find(key);
  if (!gone || it == state.end()) return;
  auto& metas = metas_of(it->value());
  for (const auto& g : *gone) {
    auto ref = ref_of(g);
    auto pos = std::find_if(metas.begin(), metas.end(), [&](const Json& m) { return ref_of(m) == ref; });
    if (pos != metas.end()) metas.erase(pos);
  }
  if (metas.empty()) state.erase(it);
}

}  // namespace

void apply_diff(JsonObject& state, const JsonObject& diff) {
  if (auto* joins = diff.if_contains("joins"); joins && joins->is_object())
    for (const auto& [key, entry] : joins->get_object()) join(state, key, entry);
  if (auto* leaves = diff.if_contains("leaves"); leaves && leaves->is_object())
    for (const auto& [key, entry] : leaves->get_object()) leave(state, key, entry);
}

}  // namespace cohort::presence
