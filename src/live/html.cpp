// html.cpp — escaping, and the HTML of a full rendered tree (the dead render).
//
// to_html interleaves statics and dynamics exactly as the client's toOutputBuffer does;
// comprehension entries use the comprehension's statics; a number is a cid looked up in the
// components ("c"). The client additionally marks component roots (data-phx-component,
// data-phx-id) when it joins; the dead render leaves those out and the join morph adds them.
#include "live/rendering.hpp"

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
