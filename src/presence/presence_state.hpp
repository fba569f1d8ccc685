// presence_state.hpp — applying a presence diff to a {key: {metas: [...]}} object.
//
// Owns: the merge rule, identical to phoenix.js Presence.syncDiff (docs/protocol.md, How a client merges a diff): joins
// first (the joined metas replace same-ref metas and go after the key's other metas), then
// leaves remove metas by phx_ref, and a key left with no metas is deleted. Pure functions; the
// replicas and the tests use them so that the server's view and the client's cannot drift.
#pragma once

#include <string_view>

#include "cohort/json.hpp"

namespace cohort::presence {

// Applies diff {"joins": {...}, "leaves": {...}} to state in place.
void apply_diff(JsonObject& state, const JsonObject& diff);

// The phx_ref of a meta, or "" when it has none.
std::string_view ref_of(const Json& meta);

}  // namespace cohort::presence
