// cohort/store_limits.hpp — what a store accepts, which is exactly what it can load again.
//
//   cohort::StoreLimits limits{.max_depth = 48};  // from Config: store_limits(config)
//
// Every op's arguments and every value its patch writes are checked against these limits before
// the op is accepted; an op that breaks one is refused ("invalid" or "too_large" with a detail)
// and changes nothing. Storage parses snapshots and op logs back with the same limits (plus the
// fixed nesting of the row that wraps a value), so an acknowledged op always loads again after a
// restart. Raising a limit is always safe; lowering max_depth below what a stored state reached
// makes that key refuse to load, with an error naming the setting to raise.
//
// Besides these bounds, a stored value must be well-formed: strings and member names valid
// UTF-8, numbers finite (JSON has no NaN or Infinity). Server code that builds values itself is
// held to the same rules as clients.
#pragma once

#include <cstdint>

namespace cohort {

struct Config;

struct StoreLimits {
  // Containers nested in a state, counted like a JSON parser counts them: {"a": [1]} is 2 deep.
  // A value written at a path of k segments adds k to its own depth. 32 is Boost.JSON's
  // default parse depth: enough for any document a person edits, and it bounds recursion.
  std::uint32_t max_depth = 32;
  // One string value in bytes: a chat message or a paragraph, not a file.
  std::uint32_t max_string_bytes = 64 * 1024;
  // One object member name in bytes: a field name or an id, not content.
  std::uint32_t max_member_bytes = 1024;
  // A store key "<kind>:<id>" in bytes: it is stored beside every op and indexes the tables.
  std::uint32_t max_key_bytes = 256;
};

// The limits a node's settings (store_max_*) give.
StoreLimits store_limits(const Config& config);

}  // namespace cohort
