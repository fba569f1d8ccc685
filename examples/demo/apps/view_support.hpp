// view_support.hpp — what the demo apps' live views share: who the visitor is (from the signed
// session), names and colours of people from a followed presence list, and display helpers.
// Inline functions; owner-thread-only like the Socket they read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cohort/input.hpp"
#include "cohort/live.hpp"

namespace cohort::apps {

// The session's user {id, name, color, roles?} (an empty object when absent).
inline JsonObject session_user(live::Socket& s) {
  const Json* u = s.session().if_contains("user");
  return u && u->is_object() ? u->get_object() : JsonObject{};
}

inline std::string user_field(live::Socket& s, std::string_view name) { return input::text(session_user(s), name); }

// The "me" assign the nav partial reads: {id, name, color, moderator}.
inline void assign_me(live::Socket& s) {
  JsonObject me = session_user(s);
  me.erase("roles");  // an array of strings is not a keyed list; templates read "moderator"
  me["moderator"] = s.actor().has_role("moderator");
  s.assign("me", std::move(me));
}

// Tracks this view on topic under the user id with {name, color}: the page's own "who is here".
inline void track_here(live::Socket& s, std::string topic) {
  JsonObject u = session_user(s);
  std::string id = input::text(u, "id");
  if (id.empty()) return;
  s.track(std::move(topic), id, JsonObject{{"name", input::text(u, "name")}, {"color", input::text(u, "color")}});
}

// From a followed presence list ([{id, metas, count}]): the entry for key, or nullptr.
inline const Json* presence_entry(const Json& list, std::string_view key) {
  if (!list.is_array()) return nullptr;
  for (const auto& e : list.get_array())
    if (e.is_object() && input::text(e, "id") == key) return &e;
  return nullptr;
}

// A meta field ("name", "color") of key's first meta, or fallback.
inline std::string presence_meta(const Json& list, std::string_view key, std::string_view field,
                                 std::string fallback = {}) {
  const Json* e = presence_entry(list, key);
  const Json* metas = e ? input::arg(*e, "metas") : nullptr;
  if (!metas || !metas->is_array() || metas->get_array().empty()) return fallback;
  std::string v = input::text(metas->get_array()[0], field);
  return v.empty() ? fallback : v;
}

// The people of a presence list for a "who is here" strip: [{id, name, color, tabs}], where tabs
// is "" for one tab and "· 2 tabs" for more.
inline json::array here_list(const Json& list) {
  json::array out;
  if (!list.is_array()) return out;
  for (const auto& e : list.get_array()) {
    std::string id = input::text(e, "id");
    auto n = input::integer(e, "count").value_or(1);
    out.push_back(JsonObject{{"id", id},
                             {"name", presence_meta(list, id, "name", id)},
                             {"color", presence_meta(list, id, "color", "#888888")},
                             {"tabs", n > 1 ? "· " + std::to_string(n) + " tabs" : std::string()}});
  }
  return out;
}

// A page's "who is here" on topic: follows the topic's presence list into the "present" assign
// and, once connected, tracks this view on it. assign_here then sets "here", which the partial
// templates/partials/here.html renders (names in their colours); call it after every message.
inline void join_here(live::Socket& s, std::string topic) {
  s.follow_presence(topic, "present");
  if (s.connected()) track_here(s, std::move(topic));
}

inline void assign_here(live::Socket& s) { s.assign("here", here_list(s.get("present"))); }

// "1 person" / "3 people"-style counts.
inline std::string count_of(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace cohort::apps
