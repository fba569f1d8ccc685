// stored_json.hpp — the JSON a store keeps: checked against StoreLimits before it is accepted,
// parsed with the same limits when it is read back.
//
// Owns the one definition of "a value that will load again": nesting within max_depth, strings
// and member names within their byte limits and valid UTF-8, numbers finite. check_value() is
// what the store applies to op arguments and to every value a patch writes; parse_stored() is
// what the storage backends use for snapshot and op-log rows. Pure functions, any thread; they
// must never recurse deeper than the limits they enforce (checks stop at the first violation).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"
#include "cohort/store_limits.hpp"

namespace cohort::storage {

// What a stored row holds. A snapshot is a state: at most max_depth deep. An op row wraps its
// args in one object ({"args": a}), a patch row its values in an array of op objects
// ([{"op":..,"value": v}]): they are read with max_depth + 2, so any value the store accepted fits.
enum class Row { snapshot, op_log };
constexpr std::uint32_t kRowEnvelopeDepth = 2;

// Why a value may not be stored. too_large: it passes a size or depth limit (the store answers
// "too_large"); otherwise it is malformed: not UTF-8, not a finite number ("invalid").
struct Violation {
  bool too_large;
  std::string detail;  // e.g. "nesting deeper than 32 at /a/b (store_max_depth is 32)"
};

// Why v, placed under `depth_above` containers, may not be stored, or nullopt. `where` is the
// pointer of v, for the message.
std::optional<Violation> check_value(const Json& v, const StoreLimits& limits, std::size_t depth_above,
                                     std::string_view where);

// Why a string value may not be stored (too long, not UTF-8), or nullopt.
std::optional<Violation> check_string(std::string_view s, const StoreLimits& limits, std::string_view where);

// Why a member name may not be stored (too long, not UTF-8), or nullopt.
std::optional<Violation> check_member_name(std::string_view name, const StoreLimits& limits);

// The nesting depth of v: 0 for a scalar, 1 + the deepest child for a container. Stops counting
// at `cap` (returns cap + 1 once v is known to be deeper than cap).
std::size_t depth_of(const Json& v, std::size_t cap);

// Parses a stored row with the limits' depth for its kind. On failure, returns why, naming the
// depth setting when that is the cause.
std::optional<std::string> parse_stored(std::string_view text, const StoreLimits& limits, Row row, Json& out);

}  // namespace cohort::storage
