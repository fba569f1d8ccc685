// html.cpp — escaping, the URL-scheme rule, and the HTML of a full rendered tree (the dead render).
//
// Escaping and the URL rule are applied where a slot's text is made (rendering.cpp), so the
// first render and every diff sent over the live socket carry the very same text.
// to_html interleaves statics and dynamics exactly as the client's toOutputBuffer does;
// comprehension entries use the comprehension's statics; a number is a cid looked up in the
// components ("c"). The client additionally marks component roots (data-phx-component,
// data-phx-id) when it joins; the dead render leaves those out and the join morph adds them.
#include "live/rendering.hpp"

#include <optional>

namespace cohort::live {

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// The scheme of value as a URL parser reads it (lowercase), "" when the value has a ':' with
// nothing before it, nullopt when a '/', '?' or '#' comes before any ':' (a relative URL).
std::optional<std::string> url_scheme(std::string_view value) {
  std::size_t i = 0;
  while (i < value.size() && static_cast<unsigned char>(value[i]) <= 0x20) ++i;
  std::string scheme;
  for (; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\t' || c == '\n' || c == '\r') continue;
    if (c == ':') return scheme;
    if (c == '/' || c == '?' || c == '#') return std::nullopt;
    scheme += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return std::nullopt;
}

}  // namespace

std::string_view safe_url(std::string_view value, Dynamic::UrlCheck check) {
  if (check == Dynamic::UrlCheck::none) return value;
  auto scheme = url_scheme(value);
  if (!scheme) return value;
  if (check == Dynamic::UrlCheck::no_scheme) return kUnsafeUrl;
  if (*scheme == "javascript" || *scheme == "vbscript" || *scheme == "data") return kUnsafeUrl;
  return value;
}

namespace {

void node_html(const JsonObject& node, const JsonObject* components, std::string& out, int depth);

void slot_html(const Json* slot, const JsonObject* components, std::string& out, int depth) {
  if (!slot) return;
  if (slot->is_string()) {
    out += slot->get_string();
  } else if (slot->is_object()) {
    node_html(slot->get_object(), components, out, depth);
  } else if (slot->is_number() && components && depth < 64) {  // depth: no runaway cid loops
    std::string cid = std::to_string(slot->to_number<long long>());
    if (const Json* c = components->if_contains(cid); c && c->is_object()) {
      node_html(c->get_object(), components, out, depth + 1);
    }
  }
}

void interleave(const json::array& statics, const JsonObject& slots, const JsonObject* components,
                std::string& out, int depth) {
  for (std::size_t i = 0; i < statics.size(); ++i) {
    if (i > 0) slot_html(slots.if_contains(std::to_string(i - 1)), components, out, depth);
    if (statics[i].is_string()) out += statics[i].get_string();
  }
}

void node_html(const JsonObject& node, const JsonObject* components, std::string& out, int depth) {
  const Json* s = node.if_contains("s");
  if (!s || !s->is_array()) return;
  const json::array& statics = s->get_array();
  const Json* k = node.if_contains("k");
  if (!k || !k->is_object()) return interleave(statics, node, components, out, depth);
  const JsonObject& entries = k->get_object();
  const Json* kc = entries.if_contains("kc");
  long long count = kc && kc->is_number() ? kc->to_number<long long>() : 0;
  for (long long i = 0; i < count; ++i) {
    const Json* entry = entries.if_contains(std::to_string(i));
    if (!entry || !entry->is_object()) continue;
    interleave(statics, entry->get_object(), components, out, depth);
  }
}

}  // namespace

std::string to_html(const JsonObject& full_tree) {
  const Json* c = full_tree.if_contains("c");
  if (c && c->is_object()) return to_html(full_tree, c->get_object());
  std::string out;
  node_html(full_tree, nullptr, out, 0);
  return out;
}

std::string to_html(const JsonObject& full_tree, const JsonObject& components) {
  std::string out;
  node_html(full_tree, &components, out, 0);
  return out;
}

}  // namespace cohort::live
