// cohort/patch.hpp — writing RFC 6902 JSON Patch operations: what a store op's handler returns.
//
//   namespace patch = cohort::patch;
//   cohort::json::array ops{patch::add(patch::path("votes", actor_id), option),  // "/votes/<id>"
//                           patch::replace("/closed", true),
//                           patch::remove(patch::path("drafts", 3))};           // "/drafts/3"
//   return cohort::OpResult::change(std::move(ops));  // from a store op's handler
//
// What it owns: the spelling of an operation ({"op", "path", "value"} / {"op", "from", "path"})
// and of a JSON Pointer (RFC 6901) built from tokens. A token that comes from anyone (an actor
// id, a card id, a field name) must go through path() or pointer_token(): "a/b" is one member,
// "/a~1b", never two; "~" is "~0". Pasting such a token into a path unescaped lets its writer
// aim an op at another place of the state.
//
// It builds operations and never applies or checks them: the store checks a handler's patch
// and applies it all or nothing (docs/stores.md), so an op that names a missing place refuses
// the whole change rather than doing part of it. Pure functions, any thread, no state; nothing
// here throws but std::bad_alloc.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <utility>

#include "cohort/json.hpp"

namespace cohort::patch {

// One reference token of a JSON Pointer: '~' becomes "~0", '/' becomes "~1", the rest stays.
// pointer_token("a/b~c") == "a~1b~0c".
std::string pointer_token(std::string_view token);

// An array index as a token: pointer_token(3) == "3". (Not a bool or a char: those would be a
// mistake, not an index.)
template <class Index>
  requires(std::integral<Index> && !std::same_as<Index, bool> && !std::same_as<Index, char>)
std::string pointer_token(Index index) {
  return std::to_string(index);
}

// A pointer from tokens, each escaped and preceded by '/': path("cards", id, "title") is
// "/cards/" + pointer_token(id) + "/title"; path("strokes", 2, "parts", "-") is
// "/strokes/2/parts/-" ("-" is the end of an array, where add appends). path() is "", the
// whole state.
template <class... Tokens>
std::string path(const Tokens&... tokens) {
  std::string out;
  ((out += '/', out += pointer_token(tokens)), ...);
  return out;
}

// What a value may be: a Json, or anything a Json is made from directly (a number, a bool,
// nullptr, a JsonObject, a json::array, text as std::string, std::string_view or a literal;
// Json has no implicit conversion from std::string, so these builders make it).
template <class Value>
concept JsonValue = std::constructible_from<Json, Value&&>;

// {"op": "add", "path", "value"}: sets an object member (new or not), or inserts into an array
// at an index or at "-" (the end).
template <JsonValue Value>
JsonObject add(std::string path, Value&& value) {
  return JsonObject{{"op", "add"}, {"path", std::move(path)}, {"value", Json(std::forward<Value>(value))}};
}

// {"op": "replace", "path", "value"}: the value at path, which must exist.
template <JsonValue Value>
JsonObject replace(std::string path, Value&& value) {
  return JsonObject{{"op", "replace"}, {"path", std::move(path)}, {"value", Json(std::forward<Value>(value))}};
}

// {"op": "test", "path", "value"}: the change applies only if the value at path equals value.
template <JsonValue Value>
JsonObject test(std::string path, Value&& value) {
  return JsonObject{{"op", "test"}, {"path", std::move(path)}, {"value", Json(std::forward<Value>(value))}};
}

// {"op": "remove", "path"}: the member or array element at path, which must exist.
JsonObject remove(std::string path);

// {"op": "move", "from", "path"}: the value at from, taken away and added at path (not into
// its own child).
JsonObject move(std::string from, std::string path);

// {"op": "copy", "from", "path"}: the value at from, added at path as well.
JsonObject copy(std::string from, std::string path);

}  // namespace cohort::patch
