// json_patch.hpp — RFC 6902 JSON Patch and RFC 6901 JSON Pointer, applied all or nothing.
//
// Owns: the meaning of a patch (add, remove, replace, move, copy, test) on a Boost.JSON value,
// the pointer syntax, and the overlap rule between two pointers that the stores use to tell
// whether two operations touch the same state. Pure functions on the caller's thread: no
// shared state, no locks, no I/O. It must never copy the document to get atomicity.
//
// Guarantee: apply_patch is all or nothing. Every op is checked first (the shape that
// check_patch checks), then the ops run in order; each mutation records its inverse in an undo
// log (the displaced value is moved into the log, never copied). When an op fails, the log is
// replayed backwards and the document is left exactly as before, down to the order of object
// members, so it serializes to the same bytes. The error names the zero-based op index, the op
// and the pointer at fault: "op 2 (replace): path /items/7 does not exist (array size 3)".
// An exception from the memory resource (bad_alloc) also rolls back, then propagates; only a
// second allocation failure during that rollback could leave a partial change.
//
// Cost (why it is proportional to the change, not the document): an op walks its pointer, one
// lookup per segment (object members are hashed, array elements indexed), then does one
// container insert, erase or slot assignment. Values arrive from the patch by copy (the size of
// the change) and move between places by pointer-sized moves, not deep copies; the undo log
// holds the moved-out old values and one concrete path per step. Rollback replays those steps,
// re-walking each path. The rest of the document is never visited. Two costs scale with the
// width of the one container an op touches, never with the whole document: an insert or erase
// in the middle of an array or object shifts the elements after it (a memmove, plus rehashing
// moved object members), and a container that grows may reallocate its element block
// (amortized). The exceptions are inherent in the op: "copy" deep-copies its source, and
// "test" compares the whole value it names. tests/unit/store/json_patch_test.cpp pins this with a
// counting allocator: a one-op patch allocates the same bytes on a 10-element document as on a
// 100,000-element one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>

#include "cohort/json.hpp"
#include "cohort/store_limits.hpp"

namespace cohort::store {

// Why a patch was refused: op_index is the zero-based index of the failing op in the patch;
// reason repeats it and says what and where, e.g. "op 2 (replace): path /items/7 does not
// exist (array size 3)".
// too_large: the patch is well formed and applies, but a value it writes breaks the limits.
struct PatchError {
  std::size_t op_index;
  std::string reason;
  bool too_large = false;
};

// Applies the ops to doc, all or nothing. nullopt: every op applied. An error: doc is exactly
// as it was before the call. The root pointer "" may be added or replaced (the whole document
// is swapped; the old one is kept in the undo log), not removed. Values copied in from the
// patch take doc's memory resource. With limits, every value an op writes is checked first
// (storage/stored_json.hpp: nesting counted from the root, string and member-name lengths, UTF-8,
// finite numbers), so that doc stays a state that loads again; "copy" and "move" check the depth
// of what they place. The check costs the size of the written value, like the copy itself.
std::optional<PatchError> apply_patch(Json& doc, const json::array& ops, const StoreLimits* limits = nullptr);

// Checks the shape of a patch without a document: each op is an object with a known "op", a
// "path" that is a valid pointer, "value" for add/replace/test, a valid "from" for move/copy,
// and no move of a location into its own child. Members it does not know are ignored (RFC 6902
// section 4). nullopt: well formed.
std::optional<PatchError> check_patch(const json::array& ops);

// RFC 6901: "/a/b~1c/0" → {"a", "b/c", "0"}; "" → {} (the whole document). nullopt for text
// that does not start with '/' or has a '~' not followed by '0' or '1'.
std::optional<std::vector<std::string>> parse_pointer(std::string_view pointer);

// The inverse of parse_pointer: escapes '~' as "~0" and '/' as "~1".
std::string make_pointer(const std::vector<std::string>& segments);

// Appends token to out escaped as one reference token ('~' as "~0", '/' as "~1"), without the
// '/' before it. The one escaping of the store layer: make_pointer and cohort/patch.hpp's
// pointer_token both use it.
void append_escaped(std::string& out, std::string_view token);

// True when a and b are the same location or one is an ancestor of the other, on segment
// boundaries: "/a" and "/a/b" overlap, "/a/b" and "/a/bc" do not, "" overlaps everything.
// Compares the escaped text (escaping is canonical, so no parse is needed); meant for valid
// pointers.
bool paths_overlap(std::string_view a, std::string_view b);

}  // namespace cohort::store
