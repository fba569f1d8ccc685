// rendering.cpp — full renders and diffs of a compiled Template (see rendering.hpp).
//
// Memory mirrors what the client holds: per slot the last string, cid, nested node, keyed
// comprehension (per entry: key, element, slot memory) or "a stream node exists". A diff walks
// the template and the memory together; a slot whose deps miss `changed` is not evaluated.
#include "live/rendering.hpp"

#include "live/scope.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <unordered_map>

namespace cohort::live {

struct SlotMemory;

struct NodeMemory {
  const Node* node = nullptr;
  std::vector<SlotMemory> slots;
};

struct EntryMemory {
  std::string key;
  Json element;
  std::vector<SlotMemory> slots;
};

struct ListMemory {
  const Node* node = nullptr;
  std::vector<EntryMemory> entries;
};

struct SlotMemory {
  enum class Kind { text, cid, node, list, stream };
  Kind kind = Kind::text;
  std::string text;
  int cid = 0;
  std::unique_ptr<NodeMemory> node;
  std::unique_ptr<ListMemory> list;
};

struct RootSlots {
  std::vector<std::pair<std::size_t, SlotMemory>> slots;  // root slot index, its memory
};

std::string stream_dom_id(std::string_view stream_name, const Json& id) {
  return std::string(stream_name) + "-" + to_text(&id);
}

namespace {

json::array statics_json(const Node& node) {
  json::array out;
  out.reserve(node.statics.size());
  for (const auto& s : node.statics) out.emplace_back(s);
  return out;
}

std::string index_key(std::size_t i) { return std::to_string(i); }

// Json equality, fast when objects keep their member order (the usual case for list elements
// built the same way): members are compared pairwise, and only a differing order falls back to
// Boost.JSON's lookup-based comparison.
bool same_json(const Json& a, const Json& b) {
  if (a.is_object() && b.is_object()) {
    const JsonObject& x = a.get_object();
    const JsonObject& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j) {
      if (i->key() != j->key()) return x == y;
      if (!same_json(i->value(), j->value())) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const json::array& x = a.get_array();
    const json::array& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

// Per-call state of one render.
class Renderer {
 public:
  Renderer(const JsonObject& assigns, const Changed* changed, ComponentHost* host,
           Streams* streams, std::map<std::string, int, std::less<>>& stream_refs,
           std::size_t& evaluations)
      : scope_(assigns), changed_(changed), host_(host), streams_(streams),
        stream_refs_(stream_refs), evaluations_(evaluations) {}

  // Every slot of node into out (memory is rebuilt).
  void full_dynamics(const Node& node, std::vector<SlotMemory>& mem, JsonObject& out);
  // Only slots touched by `changed` (every slot when all) that differ from memory.
  void diff_dynamics(const Node& node, std::vector<SlotMemory>& mem, bool all, JsonObject& out);

 private:
  bool touches(const std::set<std::string, std::less<>>& deps, bool reads_all) const;
  bool root_changed(const Dynamic& d) const {
    return changed_ && !d.path.empty() && changed_->count(d.path.front());
  }
  std::optional<Json> slot(const Dynamic& d, SlotMemory& mem, bool full, bool all);
  std::optional<Json> text_slot(std::string text, SlotMemory& mem, bool full);
  std::optional<Json> component_slot(const Dynamic& d, SlotMemory& mem, bool full);
  std::optional<Json> section_slot(const Dynamic& d, SlotMemory& mem, bool full, bool all);
  std::optional<Json> node_slot(const Node& body, SlotMemory& mem, bool full, bool all);
  Json full_list(const Dynamic& d, const json::array& items, SlotMemory& mem);
  std::optional<Json> diff_list(const Dynamic& d, const json::array& items, ListMemory& list,
                                bool all);
  JsonObject full_entry(const Node& body, const Json& element, EntryMemory& entry);
  JsonObject diff_entry(const Node& body, const Json& item, EntryMemory& entry, bool all,
                        bool outer_touched);
  std::optional<Json> stream_slot(const Dynamic& d, SlotMemory& mem, bool full);
  JsonObject stream_entry(const Node& body, const Json& item, const std::string& dom_id);
  std::vector<std::string> keys_of(const Dynamic& d, const json::array& items) const;

  Scope scope_;
  const Changed* changed_;  // null: full render
  ComponentHost* host_;
  Streams* streams_;
  std::map<std::string, int, std::less<>>& stream_refs_;
  std::size_t& evaluations_;
};

bool Renderer::touches(const std::set<std::string, std::less<>>& deps, bool reads_all) const {
  if (!changed_ || reads_all) return true;
  const auto& small = deps.size() <= changed_->size() ? deps : *changed_;
  const auto& large = deps.size() <= changed_->size() ? *changed_ : deps;
  for (const auto& name : small) {
    if (large.count(name)) return true;
  }
  return false;
}

void Renderer::full_dynamics(const Node& node, std::vector<SlotMemory>& mem, JsonObject& out) {
  mem.clear();
  mem.resize(node.dynamics.size());
  out.reserve(out.size() + node.dynamics.size() + 1);  // + "s": no rehash while filling
  for (std::size_t i = 0; i < node.dynamics.size(); ++i) {
    out.emplace(index_key(i), *slot(node.dynamics[i], mem[i], true, true));
  }
}

void Renderer::diff_dynamics(const Node& node, std::vector<SlotMemory>& mem, bool all,
                             JsonObject& out) {
  for (std::size_t i = 0; i < node.dynamics.size(); ++i) {
    const Dynamic& d = node.dynamics[i];
    if (!all && !touches(d.deps, d.reads_all)) continue;
    if (auto v = slot(d, mem[i], false, all)) out[index_key(i)] = std::move(*v);
  }
}

std::optional<Json> Renderer::slot(const Dynamic& d, SlotMemory& mem, bool full, bool all) {
  ++evaluations_;
  switch (d.kind) {
    case Dynamic::Kind::value: {
      std::string value = to_text(scope_.lookup(d.path));
      return text_slot(escape_html(safe_url(value, d.url)), mem, full);
    }
    case Dynamic::Kind::raw:
      return text_slot(to_text(scope_.lookup(d.path)), mem, full);
    case Dynamic::Kind::component: return component_slot(d, mem, full);
    case Dynamic::Kind::nested: {
      const Json* props = scope_.lookup(d.path);
      return text_slot(host_ ? host_->nest(d.name, props ? *props : Json()) : "", mem, full);
    }
    case Dynamic::Kind::stream: return stream_slot(d, mem, full);
    default: return section_slot(d, mem, full, all);
  }
}

std::optional<Json> Renderer::text_slot(std::string text, SlotMemory& mem, bool full) {
  if (!full && mem.kind == SlotMemory::Kind::text && mem.text == text) return std::nullopt;
  mem = SlotMemory{};
  mem.text = std::move(text);
  return Json(mem.text);
}

std::optional<Json> Renderer::component_slot(const Dynamic& d, SlotMemory& mem, bool full) {
  const Json* props = scope_.lookup(d.path);
  int cid = host_ ? host_->place(d.name, props ? *props : Json()) : 0;
  if (cid <= 0) return text_slot("", mem, full);
  if (!full && mem.kind == SlotMemory::Kind::cid && mem.cid == cid) return std::nullopt;
  mem = SlotMemory{};
  mem.kind = SlotMemory::Kind::cid;
  mem.cid = cid;
  return Json(cid);
}

std::optional<Json> Renderer::section_slot(const Dynamic& d, SlotMemory& mem, bool full, bool all) {
  const Json* value = scope_.lookup(d.path);
  bool present = truthy(value) == (d.kind == Dynamic::Kind::section);
  if (!present) return text_slot("", mem, full);
  if (d.kind == Dynamic::Kind::section && value->is_array()) {
    // Entries compare their elements by value, so the list's own name changing does not force
    // them; only an enclosing context change (all) does.
    if (!full && mem.kind == SlotMemory::Kind::list && mem.list->node == d.body.get()) {
      return diff_list(d, value->get_array(), *mem.list, all);
    }
    return full_list(d, value->get_array(), mem);
  }
  // The context (an object) or the condition changed: every slot inside may read it.
  bool inner_all = all || root_changed(d);
  bool pushed = d.kind == Dynamic::Kind::section && value->is_object();
  if (pushed) scope_.push(*value);
  auto out = node_slot(*d.body, mem, full, inner_all);
  if (pushed) scope_.pop();
  return out;
}

std::optional<Json> Renderer::node_slot(const Node& body, SlotMemory& mem, bool full, bool all) {
  if (!full && mem.kind == SlotMemory::Kind::node && mem.node->node == &body) {
    JsonObject diff;
    diff_dynamics(body, mem.node->slots, all, diff);
    if (diff.empty()) return std::nullopt;
    return Json(std::move(diff));
  }
  mem = SlotMemory{};
  mem.kind = SlotMemory::Kind::node;
  mem.node = std::make_unique<NodeMemory>();
  mem.node->node = &body;
  JsonObject out;
  full_dynamics(body, mem.node->slots, out);
  out["s"] = statics_json(body);
  return Json(std::move(out));
}

// Entry keys: element.<key field> (default "id") when the element is an object having it,
// else the position. A repeated key gets "#n" so keys stay unique.
std::vector<std::string> Renderer::keys_of(const Dynamic& d, const json::array& items) const {
  const std::string& field = d.key_field.empty() ? std::string("id") : d.key_field;
  std::vector<std::string> keys;
  keys.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Json* id = items[i].is_object() ? items[i].get_object().if_contains(field) : nullptr;
    keys.push_back(!id                ? "p" + std::to_string(i)
                   : id->is_string()  ? "s" + std::string(id->get_string())
                   : id->is_int64()   ? "i" + std::to_string(id->get_int64())
                                      : "j" + json::serialize(*id));
  }
  // Duplicates are rare: found by sorting views (no per-key allocation), renamed only if any.
  std::vector<std::string_view> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) return keys;
  std::unordered_map<std::string, int> seen;
  for (auto& key : keys) {
    if (int n = seen[key]++; n > 0) (key += '\0') += std::to_string(n);
  }
  return keys;
}

JsonObject Renderer::full_entry(const Node& body, const Json& element, EntryMemory& entry) {
  entry.element = element;
  JsonObject out;
  scope_.push(element);
  full_dynamics(body, entry.slots, out);
  scope_.pop();
  return out;
}

Json Renderer::full_list(const Dynamic& d, const json::array& items, SlotMemory& mem) {
  mem = SlotMemory{};
  mem.kind = SlotMemory::Kind::list;
  mem.list = std::make_unique<ListMemory>();
  mem.list->node = d.body.get();
  auto keys = keys_of(d, items);
  mem.list->entries.resize(items.size());
  JsonObject k(items.size() + 1);
  for (std::size_t i = 0; i < items.size(); ++i) {
    mem.list->entries[i].key = std::move(keys[i]);
    k.emplace(index_key(i), full_entry(*d.body, items[i], mem.list->entries[i]));
  }
  k["kc"] = items.size();
  JsonObject out;
  out["s"] = statics_json(*d.body);
  out["k"] = std::move(k);
  return Json(std::move(out));
}

// The keys of a list's previous entries (moved out of them, so that the entries can move while
// the index views the keys). The common case is no reordering: a key still at its index needs
// no hash lookup, and the hash index is only built at the first key that is not.
class OldKeys {
 public:
  explicit OldKeys(std::vector<EntryMemory>& entries) {
    keys_.reserve(entries.size());
    for (auto& entry : entries) keys_.push_back(std::move(entry.key));
  }
  std::optional<std::size_t> find(std::size_t i, std::string_view key) {
    if (index_.empty() && i < keys_.size() && keys_[i] == key) return i;
    if (index_.empty()) {
      for (std::size_t j = 0; j < keys_.size(); ++j) index_.emplace(keys_[j], j);
    }
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::vector<std::string> keys_;
  std::unordered_map<std::string_view, std::size_t> index_;
};

// Slot diffs of one kept entry; empty when it need not be (or was not) re-rendered.
JsonObject Renderer::diff_entry(const Node& body, const Json& item, EntryMemory& entry, bool all,
                                bool outer_touched) {
  JsonObject out;
  bool element_changed = !same_json(entry.element, item);
  if (!all && !element_changed && !outer_touched) return out;
  scope_.push(item);
  diff_dynamics(body, entry.slots, all || element_changed, out);
  scope_.pop();
  if (element_changed) entry.element = item;
  return out;
}

// Keyed diff. Per new index i whose key was at old index j: unchanged and j == i -> omitted;
// changed and j == i -> {slot diffs}; moved -> j or [j, {slot diffs}] plus "km". A new key
// gets its full entry dynamics: the client merges an object entry onto old[i] when it exists
// (with or without km), and full dynamics overwrite every slot of it, so both cases are right.
std::optional<Json> Renderer::diff_list(const Dynamic& d, const json::array& items,
                                        ListMemory& list, bool all) {
  auto keys = keys_of(d, items);
  OldKeys old_keys(list.entries);
  bool outer_touched = touches(d.body->deps, d.body->reads_all);
  std::vector<EntryMemory> next(items.size());
  JsonObject k;
  bool moved = false;
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::optional<std::size_t> j = old_keys.find(i, keys[i]);
    if (!j) {
      k[index_key(i)] = full_entry(*d.body, items[i], next[i]);
    } else {
      next[i] = std::move(list.entries[*j]);
      JsonObject entry = diff_entry(*d.body, items[i], next[i], all, outer_touched);
      if (*j != i) {
        moved = true;
        k[index_key(i)] =
            entry.empty() ? Json(*j) : Json(json::array{Json(*j), Json(std::move(entry))});
      } else if (!entry.empty()) {
        k[index_key(i)] = std::move(entry);
      }
    }
    next[i].key = std::move(keys[i]);
  }
  std::size_t old_count = list.entries.size();
  list.entries = std::move(next);
  if (k.empty() && items.size() == old_count) return std::nullopt;
  k["kc"] = items.size();
  if (moved) k["km"] = true;
  return Json(JsonObject{{"k", std::move(k)}});
}

// One inserted stream item, with {{dom_id}} in scope; nothing of it is remembered.
JsonObject Renderer::stream_entry(const Node& body, const Json& item, const std::string& dom_id) {
  Json frame = JsonObject{{"dom_id", dom_id}};
  std::vector<SlotMemory> scratch;
  JsonObject entry;
  scope_.push(item);
  scope_.push(frame);
  full_dynamics(body, scratch, entry);
  scope_.pop();
  scope_.pop();
  return entry;
}

// A stream node carries only the entries inserted by this render; the client drops them from
// its tree after patching the DOM, and so does the server (nothing is kept but "the client
// has this node", so later diffs leave out "s").
std::optional<Json> Renderer::stream_slot(const Dynamic& d, SlotMemory& mem, bool full) {
  StreamOps ops;
  if (streams_) {
    if (auto it = streams_->find(d.name); it != streams_->end()) {
      ops = std::move(it->second);
      streams_->erase(it);
    }
  }
  bool has_node = !full && mem.kind == SlotMemory::Kind::stream;
  if (has_node && ops.inserts.empty() && ops.deletes.empty() && !ops.reset) return std::nullopt;
  auto [ref, inserted] = stream_refs_.try_emplace(d.name, static_cast<int>(stream_refs_.size()));
  JsonObject k;
  json::array inserts;
  for (std::size_t i = 0; i < ops.inserts.size(); ++i) {
    const StreamInsert& ins = ops.inserts[i];
    const Json* id = ins.item.is_object() ? ins.item.get_object().if_contains("id") : nullptr;
    std::string dom_id = stream_dom_id(d.name, id ? *id : Json());
    k[index_key(i)] = stream_entry(*d.body, ins.item, dom_id);
    inserts.push_back(json::array{Json(dom_id), Json(ins.at),
                                  ins.limit ? Json(*ins.limit) : Json(nullptr),
                                  Json(ins.update_only)});
  }
  k["kc"] = ops.inserts.size();
  json::array deletes(ops.deletes.begin(), ops.deletes.end());
  json::array annotation{Json(std::to_string(ref->second)), Json(std::move(inserts)),
                         Json(std::move(deletes))};
  if (ops.reset) annotation.push_back(true);
  JsonObject out;
  if (!has_node) out["s"] = statics_json(*d.body);
  out["k"] = std::move(k);
  out["stream"] = std::move(annotation);
  mem = SlotMemory{};
  mem.kind = SlotMemory::Kind::stream;
  return Json(std::move(out));
}

SlotMemory clone(const SlotMemory& m);

std::vector<SlotMemory> clone_all(const std::vector<SlotMemory>& slots) {
  std::vector<SlotMemory> out;
  out.reserve(slots.size());
  for (const auto& s : slots) out.push_back(clone(s));
  return out;
}

SlotMemory clone(const SlotMemory& m) {
  SlotMemory c;
  c.kind = m.kind;
  c.text = m.text;
  c.cid = m.cid;
  if (m.node) c.node = std::make_unique<NodeMemory>(NodeMemory{m.node->node, clone_all(m.node->slots)});
  if (m.list) {
    c.list = std::make_unique<ListMemory>();
    c.list->node = m.list->node;
    c.list->entries.reserve(m.list->entries.size());
    for (const auto& e : m.list->entries) c.list->entries.push_back(EntryMemory{e.key, e.element, clone_all(e.slots)});
  }
  return c;
}

// Whether a diff of `changed` evaluates d (as Renderer::touches decides it at the root).
bool evaluated(const Dynamic& d, const Changed& changed) {
  if (d.reads_all) return true;
  for (const auto& name : d.deps)
    if (changed.count(name)) return true;
  return false;
}

// Changed plus the pseudo name of every stream with pending ops.
Changed with_streams(const Changed& changed, const Streams* streams) {
  Changed out = changed;
  if (!streams) return out;
  for (const auto& [name, ops] : *streams) {
    if (!ops.inserts.empty() || !ops.deletes.empty() || ops.reset) out.insert(stream_dep(name));
  }
  return out;
}

}  // namespace

Rendering::Rendering(const Template& t, bool component_root)
    : template_(&t), component_root_(component_root) {}
Rendering::~Rendering() = default;
Rendering::Rendering(Rendering&&) noexcept = default;
Rendering& Rendering::operator=(Rendering&&) noexcept = default;

JsonObject Rendering::render_full(const JsonObject& assigns, ComponentHost* host,
                                  Streams* streams) {
  evaluations_ = 0;
  memory_ = std::make_unique<NodeMemory>();
  memory_->node = &template_->root();
  Renderer renderer(assigns, nullptr, host, streams, stream_refs_, evaluations_);
  JsonObject out;
  renderer.full_dynamics(template_->root(), memory_->slots, out);
  out["s"] = statics_json(template_->root());
  if (component_root_) out["r"] = 1;
  return out;
}

bool Rendering::shareable(const Changed& changed, const std::function<bool(std::string_view)>& shared) const {
  if (!memory_) return false;
  for (const Dynamic& d : template_->root().dynamics) {
    if (!evaluated(d, changed)) continue;
    if (d.reads_all || d.per_view) return false;
    for (const auto& name : d.deps)
      if (!shared(name)) return false;
  }
  return true;
}

std::shared_ptr<const RootSlots> Rendering::touched_memory(const Changed& changed) const {
  auto out = std::make_shared<RootSlots>();
  const auto& dynamics = template_->root().dynamics;
  for (std::size_t i = 0; i < dynamics.size(); ++i)
    if (evaluated(dynamics[i], changed)) out->slots.emplace_back(i, clone(memory_->slots[i]));
  return out;
}

void Rendering::adopt(const RootSlots& slots) {
  for (const auto& [i, memory] : slots.slots) memory_->slots[i] = clone(memory);
}

JsonObject Rendering::render_diff(const JsonObject& assigns, const Changed& changed,
                                  ComponentHost* host, Streams* streams) {
  if (!memory_) return render_full(assigns, host, streams);
  evaluations_ = 0;
  bool any_stream = streams && !streams->empty();
  Changed effective = any_stream ? with_streams(changed, streams) : Changed{};
  Renderer renderer(assigns, any_stream ? &effective : &changed, host, streams, stream_refs_,
                    evaluations_);
  JsonObject out;
  renderer.diff_dynamics(template_->root(), memory_->slots, false, out);
  return out;
}

}  // namespace cohort::live
