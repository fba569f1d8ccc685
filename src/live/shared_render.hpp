// shared_render.hpp — a diff rendered once per reactor and sent to every view that would have
// rendered the same one (docs/live.md, "One render for many viewers").
//
// When a store change reaches thousands of views of one page, most of them hold the same tree
// and would compute the same diff. A view whose frame qualifies (ViewInstance::render_frame: its
// only changes are followed stores' states, never assigned by the view itself; the slots they
// touch read nothing else of the view's assigns, and place no component, nested view or
// stream; no event, navigation or component change is pending) describes its diff by a key: the
// template, and per changed store its key, assign name and the versions it goes from and to,
// and the page title it sets. The first view with a key renders and encodes the diff; the
// others of this reactor send the same bytes and adopt the memory of the slots it evaluated.
// Entries are pure functions of their key, so a late view may still use one; the cache keeps
// the kCapacity most recent.
// Threads: one cache per reactor thread (here()); nothing in it crosses threads.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "live/rendering.hpp"

namespace cohort::live {

struct SharedDiff {
  std::shared_ptr<const std::string> payload;  // the diff as JSON text; "" when nothing changed
  std::shared_ptr<const RootSlots> slots;  // the memory of the root slots it evaluated
};

class SharedRenders {
 public:
  static constexpr std::size_t kCapacity = 16;

  static SharedRenders& here();  // the calling thread's
  const SharedDiff* find(const std::string& key) const;
  void put(std::string key, SharedDiff diff);

 private:
  std::unordered_map<std::string, SharedDiff> entries_;
  std::deque<std::string> order_;  // oldest first
};

}  // namespace cohort::live
