// client_tree.hpp — the rendered tree a live view's browser client holds, kept by a test harness.
//
// Owns: the tree (the join's full render with every later diff merged into it, by the rules the
// official phoenix_live_view client merges with: a node that brings its statics replaces what
// was there, one that does not is merged into it; keyed comprehensions by entry, moved entries
// included; components by cid, statics shared by cid reference), each stream's items as the DOM
// keeps them (inserted at their position, updated in place, deleted, reset, limited), the page
// title, and the HTML of all that, made when asked for after a merge (a load generator holding
// thousands of trees merges far more often than it reads HTML). Never evaluates a template: what
// it shows comes from the view's renders alone, so a change the view never sent is not shown.
// Not thread-safe: one Page's (or one bench view's).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cohort/json.hpp"

namespace cohort::testing {

class ClientTree {
 public:
  // The join's (or a re-join's) full render.
  void mount(JsonObject full);
  // A diff the view sent ({} does nothing). "t" sets the title; "e" and "r" are the caller's.
  void merge(JsonObject diff);
  const std::string& html() const;
  const std::string& title() const { return title_; }
  // The tree as merged so far, without "c", "t" and the stream entries already applied.
  const JsonObject& tree() const { return tree_; }
  // The components by cid, as merged so far.
  const JsonObject& components() const { return components_; }

 private:
  void take_title(JsonObject& diff);
  void merge_components(const JsonObject& diff_components);
  // Applies (then drops) the stream entries the tree carries; the HTML is made again on demand.
  void absorb();
  void absorb_streams(Json& slot);
  void show_streams(Json& slot) const;
  void apply_stream(const json::array& annotation, const JsonObject& comprehension);

  JsonObject tree_;
  JsonObject components_;
  using StreamItems = std::vector<std::pair<std::string, std::string>>;  // (DOM id, HTML) in order
  std::map<std::string, StreamItems> streams_;                           // by stream ref
  mutable std::string html_;
  mutable bool html_stale_ = true;
  std::string title_;
};

}  // namespace cohort::testing
