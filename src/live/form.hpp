// form.hpp — a browser form as LiveView sends it (URL-encoded), decoded into JSON.
//
// Owns: the decoding rule of phx-change / phx-submit values (docs/protocol.md, Events and forms). Field names
// nest as Phoenix/Plug does: "user[name]=Bob" gives {"user": {"name": "Bob"}}, "tags[]=a&tags[]=b"
// gives {"tags": ["a", "b"]}; '+' is a space; a later plain value replaces an earlier one.
// The "_unused_" twins of fields the user has not touched are kept as they arrive (a view can
// tell untouched fields by them). A name may hold at most max_depth brackets (form_max_depth,
// net/client_json.hpp): each is a level of the decoded value, and a value nested without
// bound would exhaust the stack when it is copied or destroyed; past it the form is refused
// (and counted in /metrics). Errors quote at most the first 64 bytes of a field name.
// Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"
#include "net/client_json.hpp"

namespace cohort::live {

// The decoded form, or an error naming the bad field.
struct DecodedForm {
  JsonObject fields;
  std::optional<std::string> error;
};
DecodedForm decode_form(std::string_view urlencoded, std::uint32_t max_depth = net::ParserLimits{}.form_max_depth);

// "user[name]" -> ["user", "name"] (Phoenix's _target list). At most max_segments segments:
// the rest of the name is not split.
json::array field_path(std::string_view name, std::size_t max_segments = SIZE_MAX);

}  // namespace cohort::live
