// assign_table.hpp — where a view's or a component's assigns grow (docs/live.md, Guarantees: "Assigns").
//
// Contract: a table holds at most kMaxAssigns keys; adding one more throws. It starts small and
// grows in steps as keys are added. A step moves every slot to a new table, so the old one is
// kept, values and all, in `retired` until the owner calls settle_assigns() at a point where no
// app code runs (before a render): a reference from get() taken during a handler still reads
// what it read while the handler adds other keys, and stays good until that same key is
// assigned again or the handler returns. Keys are never removed.
// Why not reserve kMaxAssigns up front: that is ~2.8 KB per view and per component, most of
// it empty — a third of what a counter view costs the server.
// Threads: the owner's (a view's reactor).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "cohort/json.hpp"

namespace cohort::live {

constexpr std::size_t kMaxAssigns = 64;

using RetiredAssigns = std::vector<JsonObject>;

// The slot for key in assigns, added (null) if absent; throws std::length_error past kMaxAssigns.
Json& assign_slot(JsonObject& assigns, RetiredAssigns& retired, std::string_view key);

inline void settle_assigns(RetiredAssigns& retired) { retired.clear(); }

}  // namespace cohort::live
