// form.hpp — a browser form as LiveView sends it (URL-encoded), decoded into JSON.
//
// Owns: the decoding rule of phx-change / phx-submit values (docs/protocol.md, Events and forms). Field names
// nest as Phoenix/Plug does: "user[name]=Bob" gives {"user": {"name": "Bob"}}, "tags[]=a&tags[]=b"
// gives {"tags": ["a", "b"]}; '+' is a space; a later plain value replaces an earlier one.
// The "_unused_" twins of fields the user has not touched are kept as they arrive (a view can
// tell untouched fields by them). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"

namespace cohort::live {

// The decoded form, or an error naming the bad field.
struct DecodedForm {
  JsonObject fields;
  std::optional<std::string> error;
};
DecodedForm decode_form(std::string_view urlencoded);

// "user[name]" -> ["user", "name"] (Phoenix's _target list).
json::array field_path(std::string_view name);

}  // namespace cohort::live
