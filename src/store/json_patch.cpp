// json_patch.cpp — RFC 6902 ops applied through an undo log; the contract is in json_patch.hpp.
#include "store/json_patch.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "storage/stored_json.hpp"

namespace cohort::store {
namespace {

using Path = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// Pointers
// ---------------------------------------------------------------------------------------------

void append_segment(std::string& out, std::string_view segment) {
  out += '/';
  append_escaped(out, segment);
}

// The pointer text of the first n segments of p.
std::string prefix_text(const Path& p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) append_segment(out, p[i]);
  return out;
}

// Fills out with the segments of text; returns why text is not a pointer, or nullopt.
std::optional<std::string> parse_pointer_into(std::string_view text, Path& out) {
  out.clear();
  if (text.empty()) return std::nullopt;
  if (text.front() != '/') return "it must be empty or start with '/'";
  out.emplace_back();
  for (std::size_t i = 1; i < text.size(); ++i) {
    char c = text[i];
    if (c == '/') {
      out.emplace_back();
    } else if (c != '~') {
      out.back() += c;
    } else if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
      out.back() += text[++i] == '0' ? '~' : '/';  // "~01" decodes to "~1", never to "/"
    } else {
      return "'~' must be followed by 0 or 1";
    }
  }
  return std::nullopt;
}

// A pointer for an error message; the empty one is spelled out.
std::string show(std::string_view pointer) {
  return pointer.empty() ? std::string("\"\" (the whole document)") : std::string(pointer);
}

// An RFC 6901 array index: "0" or digits without a leading zero. "-" is not one.
std::optional<std::size_t> parse_index(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0') || s[0] < '0' || s[0] > '9') return std::nullopt;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

// True when a names a proper ancestor of b.
bool is_proper_prefix(const Path& a, const Path& b) {
  return a.size() < b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// ---------------------------------------------------------------------------------------------
// Reading a patch: one table of ops, one path for all of them
// ---------------------------------------------------------------------------------------------

enum class OpKind { add, remove, replace, move, copy, test };

struct OpSpec {
  std::string_view name;
  OpKind kind;
  bool needs_value;
  bool needs_from;
};

constexpr OpSpec kOpSpecs[] = {
    {"add", OpKind::add, true, false},         {"remove", OpKind::remove, false, false},
    {"replace", OpKind::replace, true, false}, {"move", OpKind::move, false, true},
    {"copy", OpKind::copy, false, true},       {"test", OpKind::test, true, false},
};

// One op of a patch, checked: pointers parsed, the value still owned by the patch.
struct Op {
  const OpSpec* spec = nullptr;
  Path path, from;
  std::string_view path_text, from_text;
  const Json* value = nullptr;
};

std::string op_label(std::size_t index, const OpSpec* spec) {
  std::string out = "op " + std::to_string(index);
  if (spec) out += " (" + std::string(spec->name) + ")";
  return out + ": ";
}

// Reads member `name` of op as a pointer; returns why it cannot, or nullopt.
std::optional<std::string> read_pointer(const JsonObject& op, std::string_view name, Path& out,
                                        std::string_view& text) {
  const Json* member = op.if_contains(name);
  if (!member) return "missing \"" + std::string(name) + "\"";
  const json::string* str = member->if_string();
  if (!str) return "\"" + std::string(name) + "\" is not a string";
  text = *str;
  if (auto why = parse_pointer_into(text, out))
    return std::string(name) + " \"" + std::string(text) + "\" is not a JSON pointer: " + *why;
  return std::nullopt;
}

// Reads one op; returns why it is malformed, or nullopt. op.spec is set as soon as it is known.
std::optional<std::string> read_op(const Json& item, Op& op) {
  const JsonObject* obj = item.if_object();
  if (!obj) return "not an object";
  const Json* name = obj->if_contains("op");
  if (!name) return "missing \"op\"";
  if (!name->is_string()) return "\"op\" is not a string";
  for (const OpSpec& spec : kOpSpecs)
    if (spec.name == name->get_string()) op.spec = &spec;
  if (!op.spec) return "unknown op \"" + std::string(name->get_string()) + "\"";
  if (auto why = read_pointer(*obj, "path", op.path, op.path_text)) return why;
  if (op.spec->needs_from)
    if (auto why = read_pointer(*obj, "from", op.from, op.from_text)) return why;
  if (op.spec->needs_value) {
    op.value = obj->if_contains("value");
    if (!op.value) return "missing \"value\"";
  }
  if (op.spec->kind == OpKind::move && is_proper_prefix(op.from, op.path))
    return "cannot move " + show(op.from_text) + " into its own child " + show(op.path_text);
  return std::nullopt;
}

std::optional<PatchError> read_patch(const json::array& ops, std::vector<Op>& out) {
  out.resize(ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (auto why = read_op(ops[i], out[i])) return PatchError{i, op_label(i, out[i].spec) + *why};
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// JSON equality for "test" (RFC 6902 section 4.6)
// ---------------------------------------------------------------------------------------------

// Exact comparison of a double with an integer: 1.0 == 1, 2^53 != 2^53 + 1.
template <typename Int>
bool double_equals_int(double d, Int i) {
  constexpr double kLimit = std::is_signed_v<Int> ? 9223372036854775808.0 : 18446744073709551616.0;
  constexpr double kFloor = std::is_signed_v<Int> ? -kLimit : 0.0;
  if (!std::isfinite(d) || d != std::trunc(d) || d < kFloor || d >= kLimit) return false;
  return static_cast<Int>(d) == i;
}

bool numbers_equal(const Json& a, const Json& b) {
  if (!a.is_double() && !b.is_double()) return a == b;  // Boost compares int64 with uint64 exactly
  if (a.is_double() && b.is_double()) return a.get_double() == b.get_double();
  const Json& d = a.is_double() ? a : b;
  const Json& i = a.is_double() ? b : a;
  return i.is_int64() ? double_equals_int(d.get_double(), i.get_int64())
                      : double_equals_int(d.get_double(), i.get_uint64());
}

bool json_equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  if (const JsonObject* oa = a.if_object()) {
    const JsonObject& ob = b.get_object();
    if (oa->size() != ob.size()) return false;
    for (const auto& member : *oa) {
      const Json* other = ob.if_contains(member.key());
      if (!other || !json_equal(member.value(), *other)) return false;
    }
    return true;
  }
  if (const json::array* aa = a.if_array()) {
    const json::array& ab = b.get_array();
    if (aa->size() != ab.size()) return false;
    for (std::size_t i = 0; i < aa->size(); ++i)
      if (!json_equal((*aa)[i], ab[i])) return false;
    return true;
  }
  return a == b;  // string, bool, null
}

// ---------------------------------------------------------------------------------------------
// Walking the document
// ---------------------------------------------------------------------------------------------

// One pointer of an op being resolved, named for error messages: "path /a/b" or "from /a/b".
struct Target {
  std::string_view label;
  std::string_view text;
  const Path& path;

  std::string name() const { return std::string(label) + " " + show(text); }
  // Segment i could not be followed: at the last segment the target itself is missing.
  std::string missing(std::size_t i, const std::string& detail = "") const {
    if (i + 1 == path.size()) return name() + " does not exist" + detail;
    return name() + ": " + prefix_text(path, i + 1) + " does not exist" + detail;
  }
  // The value at the first i segments, scalar, was asked for a member.
  std::string not_container(std::size_t i, const Json& scalar) const;
};

const char* kind_name(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_bool()) return "a boolean";
  if (v.is_string()) return "a string";
  return "a number";
}

std::string Target::not_container(std::size_t i, const Json& scalar) const {
  return name() + ": " + show(prefix_text(path, i)) + " is " + kind_name(scalar) +
         ", not an object or array";
}

// The value segment i of t.path names inside cur, or null with why set.
Json* step(Json& cur, const Target& t, std::size_t i, std::string& why) {
  const std::string& segment = t.path[i];
  if (JsonObject* obj = cur.if_object()) {
    if (Json* v = obj->if_contains(segment)) return v;
    why = t.missing(i);
  } else if (json::array* arr = cur.if_array()) {
    std::optional<std::size_t> index = parse_index(segment);
    if (index && *index < arr->size()) return &(*arr)[*index];
    if (index || segment == "-")
      why = t.missing(i, " (array size " + std::to_string(arr->size()) + ")");
    else
      why = t.name() + ": \"" + segment + "\" is not an array index";
  } else {
    why = t.not_container(i, cur);
  }
  return nullptr;
}

// The container holding the last segment of t.path (not empty), or null with why set.
Json* find_parent(Json& doc, const Target& t, std::string& why) {
  Json* cur = &doc;
  for (std::size_t i = 0; cur && i + 1 < t.path.size(); ++i) cur = step(*cur, t, i, why);
  return cur;
}

// The existing value t.path names, or null with why set.
Json* find_value(Json& doc, const Target& t, std::string& why) {
  if (t.path.empty()) return &doc;
  Json* parent = find_parent(doc, t, why);
  return parent ? step(*parent, t, t.path.size() - 1, why) : nullptr;
}

// The value a segment names in parent, known to exist (an undo step's path). A broken
// invariant throws from at()/as_array() rather than touching memory it does not own.
Json& child_of(Json& parent, const std::string& segment) {
  if (parent.is_object()) return parent.get_object().at(segment);
  return parent.as_array().at(parse_index(segment).value());
}

// The value at the first n segments of a path known to exist.
Json& locate(Json& doc, const Path& p, std::size_t n) {
  Json* cur = &doc;
  for (std::size_t i = 0; i < n; ++i) cur = &child_of(*cur, p[i]);
  return *cur;
}

// Inserts a member at position pos of obj (Boost.JSON only appends): the members from pos on
// come off the end and go back after it. Cost: the members after pos, not the object.
void insert_member_at(JsonObject& obj, std::string_view key, Json value, std::size_t pos) {
  std::vector<std::pair<std::string, Json>> tail;
  tail.reserve(obj.size() - pos);
  while (obj.size() > pos) {
    auto last = obj.end() - 1;
    tail.emplace_back(std::string(last->key()), std::move(last->value()));
    obj.stable_erase(last);
  }
  obj.emplace(key, std::move(value));
  for (auto it = tail.rbegin(); it != tail.rend(); ++it)
    obj.emplace(it->first, std::move(it->second));
}

// ---------------------------------------------------------------------------------------------
// Applying with an undo log
// ---------------------------------------------------------------------------------------------

// The inverse of one mutation. Rollback replays steps newest first; a step that takes a value
// off the document leaves it in `carry`, where the step before it (the removal half of a move)
// finds it when from_carry is set.
struct UndoStep {
  enum class Kind { erase, put, reinsert };
  Kind kind;
  Path path;                    // concrete: array indexes are numbers, never "-"
  Json saved;                   // put, reinsert: the old value, moved out of the document
  std::size_t member_pos = 0;   // reinsert into an object: the member's old position
  bool from_carry = false;      // reinsert: restore the value in carry instead of saved
};

// One apply_patch call: mutates doc and records the inverse of each mutation, so that
// rollback() restores doc exactly. A step is recorded without allocating once the mutation has
// happened (room is made first), so an allocation failure cannot leave an unrecorded change.
class PatchRun {
 public:
  PatchRun(Json& doc, const StoreLimits* limits) : doc_(doc), limits_(limits) {}
  std::optional<std::string> apply(const Op& op);
  void rollback();
  // Set when the last apply() failed on a limit, not on the document.
  bool over_limit() const { return over_limit_; }

 private:
  std::optional<std::string> check_written(const Target& t, const Json& value, bool from_document);
  std::optional<std::string> add(const Target& t, Json& value);
  std::optional<std::string> remove(const Target& t);
  std::optional<std::string> move(const Op& op);
  std::optional<std::string> replace(const Target& t, const Json& value);
  std::optional<std::string> test(const Target& t, const Json& value);
  void put(Json& slot, Path where, Json& value);
  std::size_t take(Json& parent, Path where);
  void make_room();

  Json& doc_;
  const StoreLimits* limits_;  // null: no limits (reloading what was checked when written)
  bool over_limit_ = false;
  std::vector<UndoStep> undo_;
};

// Whether value may be written at t.path. A value from the patch is checked whole; one that is
// already in the document (copy, move) met the limits there, so only its new depth is checked,
// and only when it goes deeper than it was.
std::optional<std::string> PatchRun::check_written(const Target& t, const Json& value, bool from_document) {
  if (!limits_) return std::nullopt;
  std::optional<storage::Violation> why;
  if (!t.path.empty()) why = storage::check_member_name(t.path.back(), *limits_);
  if (!why && !from_document) why = storage::check_value(value, *limits_, t.path.size(), t.text);
  if (!why && from_document && t.path.size() + storage::depth_of(value, limits_->max_depth) > limits_->max_depth)
    why = storage::Violation{true, "nesting deeper than " + std::to_string(limits_->max_depth) + " at " +
                                       show(t.text) + " (store_max_depth is " + std::to_string(limits_->max_depth) + ")"};
  if (!why) return std::nullopt;
  over_limit_ = why->too_large;
  return t.name() + " would write " + why->detail;
}

void PatchRun::make_room() {
  if (undo_.size() == undo_.capacity()) undo_.reserve(std::max<std::size_t>(8, 2 * undo_.size()));
}

// Assigns value to slot (an existing member, element or the root), keeping the old value.
void PatchRun::put(Json& slot, Path where, Json& value) {
  make_room();
  undo_.push_back(UndoStep{UndoStep::Kind::put, std::move(where), Json(std::move(slot))});
  slot = std::move(value);
}

// Detaches the existing value that the last segment of where names in parent. The value sits in
// the returned step's `saved`, for the caller to move on or for rollback to put back.
std::size_t PatchRun::take(Json& parent, Path where) {
  make_room();
  if (JsonObject* obj = parent.if_object()) {
    auto it = obj->find(where.back());
    std::size_t pos = static_cast<std::size_t>(it - obj->begin());
    undo_.push_back(
        UndoStep{UndoStep::Kind::reinsert, std::move(where), Json(std::move(it->value())), pos});
    obj->stable_erase(it);
  } else {
    json::array& arr = parent.as_array();
    std::size_t index = *parse_index(where.back());
    undo_.push_back(
        UndoStep{UndoStep::Kind::reinsert, std::move(where), Json(std::move(arr[index]))});
    arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(index));
  }
  return undo_.size() - 1;
}

// RFC 6902 "add": moves out of value only when it succeeds.
std::optional<std::string> PatchRun::add(const Target& t, Json& value) {
  if (t.path.empty()) {
    put(doc_, {}, value);
    return std::nullopt;
  }
  std::string why;
  Json* parent = find_parent(doc_, t, why);
  if (!parent) return why;
  Path where = t.path;
  if (JsonObject* obj = parent->if_object()) {
    if (Json* old = obj->if_contains(where.back())) {  // RFC 6902 4.1: replaces the member
      put(*old, std::move(where), value);
      return std::nullopt;
    }
    make_room();
    obj->emplace(where.back(), std::move(value));
  } else if (json::array* arr = parent->if_array()) {
    std::optional<std::size_t> index =
        where.back() == "-" ? std::optional(arr->size()) : parse_index(where.back());
    if (!index) return t.name() + ": \"" + where.back() + "\" is not an array index";
    if (*index > arr->size())
      return t.name() + " is past the end of the array (size " + std::to_string(arr->size()) + ")";
    where.back() = std::to_string(*index);
    make_room();
    arr->insert(arr->begin() + static_cast<std::ptrdiff_t>(*index), std::move(value));
  } else {
    return t.not_container(t.path.size() - 1, *parent);
  }
  undo_.push_back(UndoStep{UndoStep::Kind::erase, std::move(where), Json()});
  return std::nullopt;
}

std::optional<std::string> PatchRun::remove(const Target& t) {
  if (t.path.empty()) return "cannot remove the whole document";
  std::string why;
  Json* parent = find_parent(doc_, t, why);
  if (!parent || !step(*parent, t, t.path.size() - 1, why)) return why;
  take(*parent, t.path);
  return std::nullopt;
}

std::optional<std::string> PatchRun::replace(const Target& t, const Json& value) {
  std::string why;
  Json* target = find_value(doc_, t, why);
  if (!target) return why;
  Json copy(value, target->storage());
  put(*target, t.path, copy);
  return std::nullopt;
}

// RFC 6902 "move": a remove then an add, the value moved, never copied. read_op has refused a
// move into the value's own child, so `from` is not the root unless path is too.
std::optional<std::string> PatchRun::move(const Op& op) {
  Target from{"from", op.from_text, op.from}, to{"path", op.path_text, op.path};
  std::string why;
  if (op.from == op.path) {  // a no-op, but from must exist
    if (!find_value(doc_, from, why)) return why;
    return std::nullopt;
  }
  Json* parent = find_parent(doc_, from, why);
  if (!parent || !step(*parent, from, op.from.size() - 1, why)) return why;
  std::size_t taken = take(*parent, op.from);
  Json value(std::move(undo_[taken].saved));
  std::optional<std::string> failed;
  try {
    failed = add(to, value);
  } catch (...) {
    undo_[taken].saved = std::move(value);
    throw;
  }
  if (failed) undo_[taken].saved = std::move(value);  // rollback puts it back at from
  else undo_[taken].from_carry = true;                // the value now lives at path
  return failed;
}

std::optional<std::string> PatchRun::test(const Target& t, const Json& value) {
  std::string why;
  const Json* target = find_value(doc_, t, why);
  if (!target) return why;
  if (!json_equal(*target, value)) return "test failed: " + t.name() + " differs from \"value\"";
  return std::nullopt;
}

std::optional<std::string> PatchRun::apply(const Op& op) {
  Target path{"path", op.path_text, op.path};
  switch (op.spec->kind) {
    case OpKind::add: {
      if (auto why = check_written(path, *op.value, false)) return why;
      Json value(*op.value, doc_.storage());
      return add(path, value);
    }
    case OpKind::remove: return remove(path);
    case OpKind::replace:
      if (auto why = check_written(path, *op.value, false)) return why;
      return replace(path, *op.value);
    case OpKind::move: {
      if (!limits_) return move(op);
      if (op.path.size() <= op.from.size()) {
        // No deeper than it was, but maybe under a new member name: that name must fit too.
        if (auto over = check_written(path, Json(), true)) return over;
        return move(op);
      }
      std::string why;
      const Json* source = find_value(doc_, Target{"from", op.from_text, op.from}, why);
      if (!source) return why;
      if (auto over = check_written(path, *source, true)) return over;
      return move(op);
    }
    case OpKind::copy: {
      std::string why;
      const Json* source = find_value(doc_, Target{"from", op.from_text, op.from}, why);
      if (!source) return why;
      if (auto over = check_written(path, *source, true)) return over;
      Json value(*source, doc_.storage());
      return add(path, value);
    }
    case OpKind::test: return test(path, *op.value);
  }
  return "unknown op";  // unreachable: read_op accepts only the kinds above
}

// Removes the member or element that segment names in parent and returns it.
Json detach(Json& parent, const std::string& segment) {
  Json value(std::move(child_of(parent, segment)));
  if (JsonObject* obj = parent.if_object()) {
    obj->stable_erase(obj->find(segment));
  } else {
    json::array& arr = parent.as_array();
    auto index = static_cast<std::ptrdiff_t>(parse_index(segment).value());
    arr.erase(arr.begin() + index);
  }
  return value;
}

// Puts value back where segment named it in parent; pos: its old place among object members.
void attach(Json& parent, const std::string& segment, Json value, std::size_t pos) {
  if (JsonObject* obj = parent.if_object()) {
    insert_member_at(*obj, segment, std::move(value), pos);
  } else {
    json::array& arr = parent.as_array();
    auto index = static_cast<std::ptrdiff_t>(parse_index(segment).value());
    arr.insert(arr.begin() + index, std::move(value));
  }
}

// Undoes every recorded step, newest first, leaving doc as it was before the first op. Paths
// are re-walked per step: the values they lead to may have moved in memory since.
void PatchRun::rollback() {
  std::optional<Json> carry;  // move-constructed each time, so it keeps doc's memory resource
  for (auto s = undo_.rbegin(); s != undo_.rend(); ++s) {
    if (s->path.empty()) {  // only a put reaches the root
      carry.emplace(std::move(doc_));
      doc_ = std::move(s->saved);
      continue;
    }
    Json& parent = locate(doc_, s->path, s->path.size() - 1);
    const std::string& key = s->path.back();
    if (s->kind == UndoStep::Kind::put) {
      Json& slot = child_of(parent, key);
      carry.emplace(std::move(slot));
      slot = std::move(s->saved);
    } else if (s->kind == UndoStep::Kind::erase) {
      carry.emplace(detach(parent, key));
    } else {
      attach(parent, key, std::move(s->from_carry ? carry.value() : s->saved), s->member_pos);
    }
  }
  undo_.clear();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public functions
// ---------------------------------------------------------------------------------------------

std::optional<PatchError> apply_patch(Json& doc, const json::array& ops, const StoreLimits* limits) {
  std::vector<Op> parsed;
  if (auto error = read_patch(ops, parsed)) return error;
  PatchRun run(doc, limits);
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    std::optional<std::string> why;
    try {
      why = run.apply(parsed[i]);
    } catch (...) {  // an allocation failure: still all or nothing
      run.rollback();
      throw;
    }
    if (why) {
      run.rollback();
      return PatchError{i, op_label(i, parsed[i].spec) + *why, run.over_limit()};
    }
  }
  return std::nullopt;
}

std::optional<PatchError> check_patch(const json::array& ops) {
  std::vector<Op> parsed;
  return read_patch(ops, parsed);
}

std::optional<std::vector<std::string>> parse_pointer(std::string_view pointer) {
  Path out;
  if (parse_pointer_into(pointer, out)) return std::nullopt;
  return out;
}

void append_escaped(std::string& out, std::string_view token) {
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
}

std::string make_pointer(const std::vector<std::string>& segments) {
  return prefix_text(segments, segments.size());
}

bool paths_overlap(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  // a is b, or a is a proper prefix of b ending on a segment boundary ('/' never appears
  // escaped, so a '/' in b always starts a segment).
  return b.substr(0, a.size()) == a && (a.size() == b.size() || b[a.size()] == '/');
}

}  // namespace cohort::store
