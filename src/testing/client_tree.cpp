// client_tree.cpp — the client's rendered tree and its HTML: see client_tree.hpp.
#include "testing/client_tree.hpp"

#include <algorithm>

#include "cohort/testing.hpp"
#include "live/rendering.hpp"

namespace cohort::testing {

namespace {

bool has_statics(const Json& v) { return v.is_object() && v.get_object().contains("s"); }

void merge_node(JsonObject& target, const JsonObject& source);

// An entry of a keyed comprehension: "k": {"<i>": entry | old index | [old index, diff], "kc": n}.
void merge_keyed(JsonObject& target, const JsonObject& source) {
  const JsonObject& entries = source.at("k").get_object();
  if (!target.contains("k") || !target.at("k").is_object()) target["k"] = JsonObject{{"kc", 0}};
  JsonObject before = target.at("k").get_object();  // moves read the old positions
  JsonObject& k = target["k"].get_object();
  for (const auto& [i, entry] : entries) {
    if (i == "kc" || i == "km") continue;
    if (entry.is_array()) {
      const auto& moved = entry.get_array();
      k[i] = before.at(std::to_string(moved.at(0).to_number<long long>()));
      merge_node(k[i].get_object(), moved.at(1).get_object());
    } else if (entry.is_number()) {
      k[i] = before.at(std::to_string(entry.to_number<long long>()));
    } else if (entry.is_object()) {
      if (!k.contains(i)) k[i] = JsonObject{};
      merge_node(k[i].get_object(), entry.get_object());
    }
  }
  long long count = entries.at("kc").to_number<long long>();
  long long had = before.contains("kc") ? before.at("kc").to_number<long long>() : 0;
  for (long long i = count; i < had; ++i) k.erase(std::to_string(i));
  k["kc"] = count;
  if (const Json* stream = source.if_contains("stream")) target["stream"] = *stream;
}

void merge_node(JsonObject& target, const JsonObject& source) {
  if (source.contains("k")) return merge_keyed(target, source);
  for (const auto& [key, value] : source) {
    Json* current = target.if_contains(key);
    if (value.is_object() && !has_statics(value) && current && current->is_object())
      merge_node(current->get_object(), value.get_object());
    else
      target[key] = value;
  }
}

// A node merged into a copy of base (a component whose statics another one has).
JsonObject merged_copy(const JsonObject& base, const JsonObject& diff) {
  JsonObject out = base;
  merge_node(out, diff);
  return out;
}

}  // namespace

void ClientTree::mount(JsonObject full) {
  take_title(full);
  full.erase("e");
  full.erase("r");
  components_ = full.contains("c") ? full["c"].get_object() : JsonObject{};
  full.erase("c");
  tree_ = std::move(full);
  absorb();
}

void ClientTree::merge(JsonObject diff) {
  take_title(diff);
  diff.erase("e");
  diff.erase("r");
  if (Json* c = diff.if_contains("c")) {
    merge_components(c->get_object());
    diff.erase("c");
  }
  if (diff.contains("s")) tree_ = std::move(diff);
  else merge_node(tree_, diff);
  absorb();
}

void ClientTree::take_title(JsonObject& diff) {
  if (const Json* t = diff.if_contains("t"); t && t->is_string()) title_ = std::string(t->get_string());
  diff.erase("t");
}

// As the client's cachedFindComponent: "s" may name another component whose statics it shares
// (a positive cid: in this diff; negative: as the client held it before).
void ClientTree::merge_components(const JsonObject& diff_components) {
  JsonObject resolved;
  for (const auto& [cid, value] : diff_components) {
    const JsonObject& cdiff = value.get_object();
    const Json* s = cdiff.if_contains("s");
    if (s && s->is_number()) {
      long long ref = s->to_number<long long>();
      std::string from = std::to_string(ref < 0 ? -ref : ref);
      const JsonObject& base = (ref > 0 ? diff_components : components_).at(from).get_object();
      JsonObject out = merged_copy(base, cdiff);
      out["s"] = base.at("s");
      resolved[cid] = std::move(out);
    } else if (s || !components_.contains(cid)) {
      resolved[cid] = cdiff;
    } else {
      resolved[cid] = merged_copy(components_.at(cid).get_object(), cdiff);
    }
  }
  for (auto& [cid, tree] : resolved) components_[cid] = std::move(tree);
}

void ClientTree::absorb() {
  Json root(std::move(tree_));
  absorb_streams(root);
  for (auto& [cid, tree] : components_) absorb_streams(tree);
  tree_ = std::move(root.get_object());
  html_stale_ = true;
}

const std::string& ClientTree::html() const {
  if (!html_stale_) return html_;
  Json shown(tree_);
  show_streams(shown);
  JsonObject components = components_;
  for (auto& [cid, tree] : components) show_streams(tree);
  html_ = live::to_html(shown.get_object(), components);
  html_stale_ = false;
  return html_;
}

// Every stream comprehension under slot hands its entries to the stream's items and keeps none
// (as the client does once they are in the DOM), nor its annotation (applied once).
void ClientTree::absorb_streams(Json& slot) {
  if (!slot.is_object()) return;
  JsonObject& node = slot.get_object();
  if (Json* stream = node.if_contains("stream"); stream && node.contains("k")) {
    json::array& annotation = stream->get_array();
    apply_stream(annotation, node);
    annotation = json::array{annotation.at(0), json::array{}, json::array{}};
    node["k"] = JsonObject{{"kc", 0}};
    return;
  }
  for (auto& [key, value] : node)
    if (key != "s") absorb_streams(value);
}

// Every stream comprehension under slot shows the stream's items, in their order.
void ClientTree::show_streams(Json& slot) const {
  if (!slot.is_object()) return;
  JsonObject& node = slot.get_object();
  if (const Json* stream = node.if_contains("stream")) {
    std::string items;
    auto found = streams_.find(std::string(stream->get_array().at(0).get_string()));
    if (found != streams_.end())
      for (const auto& [id, item_html] : found->second) items += item_html;
    slot = JsonObject{{"s", json::array{"", ""}}, {"0", items}};
    return;
  }
  for (auto& [key, value] : node)
    if (key != "s") show_streams(value);
}

// [ref, [[dom id, at, limit, update_only]...], [deleted dom ids], reset?], the comprehension's
// entry i rendering insert i.
void ClientTree::apply_stream(const json::array& annotation, const JsonObject& comprehension) {
  StreamItems& items = streams_[std::string(annotation.at(0).get_string())];
  if (annotation.size() > 3 && annotation.at(3).is_bool() && annotation.at(3).get_bool()) items.clear();
  for (const auto& gone : annotation.at(2).get_array())
    std::erase_if(items, [&](const auto& item) { return item.first == gone.get_string(); });
  const json::array& statics = comprehension.at("s").get_array();
  const JsonObject& entries = comprehension.at("k").get_object();
  const json::array& inserts = annotation.at(1).get_array();
  for (std::size_t i = 0; i < inserts.size(); ++i) {
    const json::array& insert = inserts[i].get_array();
    std::string id(insert.at(0).get_string());
    JsonObject entry = entries.at(std::to_string(i)).get_object();
    entry["s"] = statics;
    std::string item_html = live::to_html(entry, components_);
    auto at = insert.at(1).to_number<long long>();
    auto found = std::find_if(items.begin(), items.end(), [&](const auto& item) { return item.first == id; });
    if (found != items.end()) {
      found->second = std::move(item_html);  // updated in place
    } else if (!(insert.size() > 3 && insert.at(3).is_bool() && insert.at(3).get_bool())) {
      auto pos = at < 0 || at >= static_cast<long long>(items.size()) ? items.end() : items.begin() + at;
      items.insert(pos, {id, std::move(item_html)});
    }
    if (insert.size() > 2 && insert.at(2).is_number()) {
      auto limit = insert.at(2).to_number<long long>();
      auto keep = static_cast<std::size_t>(limit < 0 ? -limit : limit);
      if (items.size() > keep) {
        if (limit < 0) items.erase(items.begin(), items.end() - static_cast<long long>(keep));
        else items.resize(keep);
      }
    }
  }
}

}  // namespace cohort::testing
