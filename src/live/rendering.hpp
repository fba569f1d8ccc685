// rendering.hpp — one view's (or component's) memory of the rendered tree its client holds,
// and the full renders and diffs that keep the two equal (docs/protocol.md, The rendered tree).
//
// Owns: evaluation of a compiled Template against assigns, the LiveView tree/diff format
// (inline "s" arrays only, never "p"), keyed comprehensions (k/kc/km), streams and component
// slots. Contract:
//  * render_full returns every slot; literal values are JSON strings, components are numbers
//    (cids from ComponentHost::place). It resets the memory.
//  * render_diff evaluates only slots whose deps intersect `changed` (plus streams with pending
//    ops); the others are skipped WITHOUT being evaluated. Returns {} when nothing changed.
//    The caller must list in `changed` every top-level assign it modified since the last render.
//  * A keyed comprehension re-renders an entry only when its element changed (by value), an
//    outer name it reads changed, or its enclosing context changed.
//  * Streams: a render consumes the ops of every stream it renders (erased from `streams`);
//    nothing of a stream is kept. Deletes are DOM ids (stream_dom_id).
//  * host->place is called only for component slots being evaluated. Without a host a component
//    slot renders "".
// Never: a number for a literal (numbers are cids), a node without "s" onto a slot the client
// does not hold as that node, "p" template sharing, or "r" on anything but a component root.
// component_root requires t.single_root_tag() (the caller checks; the client throws otherwise).
// Not thread-safe: one owner (the view's reactor). Holds a pointer to the Template, which must
// outlive it.
#pragma once

#include "cohort/json.hpp"
#include "live/template.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cohort::live {

using Changed = std::set<std::string, std::less<>>;  // top-level assign names changed

class ComponentHost {
 public:
  virtual ~ComponentHost() = default;
  // Called during a render for each {{@type path}}; returns the component's cid (>= 1).
  virtual int place(std::string_view type, const Json& props) = 0;
  // Called during a render for each {{%name path}}: the nested view's container element (HTML,
  // its attributes escaped), or "" when props do not name one.
  virtual std::string nest(std::string_view name, const Json& props) { return ""; }
};

struct StreamInsert {
  Json item;                 // must have "id"
  int at = -1;               // -1 append, 0 prepend, N position
  std::optional<int> limit;  // null or +-N
  bool update_only = false;
};
struct StreamOps {
  std::vector<StreamInsert> inserts;
  std::vector<std::string> deletes;  // DOM ids, as stream_dom_id makes them ("songs-1")
  bool reset = false;
};
using Streams = std::map<std::string, StreamOps, std::less<>>;  // pending ops per stream name

// "<name>-<id>": the DOM id of a stream item ({{dom_id}} inside the stream body).
std::string stream_dom_id(std::string_view stream_name, const Json& id);

struct NodeMemory;
// Copies of some root slots' memory, for views that adopt a diff another view rendered
// (shared_render.hpp). Immutable once made; any thread may hold it, one at a time reads it.
struct RootSlots;

class Rendering {
 public:
  explicit Rendering(const Template& t, bool component_root = false);  // component_root: "r":1
  ~Rendering();
  Rendering(Rendering&&) noexcept;
  Rendering& operator=(Rendering&&) noexcept;

  JsonObject render_full(const JsonObject& assigns, ComponentHost* host = nullptr,
                         Streams* streams = nullptr);
  // Before any render_full this is a render_full.
  JsonObject render_diff(const JsonObject& assigns, const Changed& changed,
                         ComponentHost* host = nullptr, Streams* streams = nullptr);

  // Number of dynamic slots evaluated by the last render (tests and benchmarks).
  std::size_t last_evaluations() const { return evaluations_; }

  // Sharing one diff between views of the same template (shared_render.hpp). A diff of
  // `changed` is the same for every view whose memory of the root slots it evaluates is the
  // same, when those slots place no component, nested view or stream and every name they may
  // read passes `shared` (an assign equal in those views, or one no view has).
  // shareable: this rendering has rendered, and a diff of `changed` is such a diff.
  // touched_memory: after such a diff, copies of the memory of the slots it evaluated.
  // adopt: takes those copies as this rendering's memory of them (the diff was sent for it).
  bool shareable(const Changed& changed, const std::function<bool(std::string_view)>& shared) const;
  std::shared_ptr<const RootSlots> touched_memory(const Changed& changed) const;
  void adopt(const RootSlots& slots);

 private:
  const Template* template_;
  bool component_root_;
  std::unique_ptr<NodeMemory> memory_;  // null until the first render
  std::map<std::string, int, std::less<>> stream_refs_;
  std::size_t evaluations_ = 0;
};

std::string escape_html(std::string_view text);  // also public: cohort/live.hpp
// What a value printed in a URL attribute may be (Dynamic::UrlCheck): the value itself, or
// kUnsafeUrl when, read the way a browser reads a URL (leading spaces and control characters
// skipped, tabs and newlines dropped, case ignored), it is a javascript:, vbscript: or data: URL
// (check `scheme`), or names any scheme at all (check `no_scheme`: a later part of the value).
inline constexpr std::string_view kUnsafeUrl = "#unsafe";
std::string_view safe_url(std::string_view value, Dynamic::UrlCheck check);
// HTML of a full tree (as render_full returns), components of "c" resolved by cid (a missing
// cid renders nothing). Used for the dead render.
std::string to_html(const JsonObject& full_tree);
std::string to_html(const JsonObject& full_tree, const JsonObject& components /* "c" */);

}  // namespace cohort::live
