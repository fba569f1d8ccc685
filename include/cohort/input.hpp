// cohort/input.hpp — reading what browsers send: op arguments, form fields, phx-value attributes.
//
//   namespace input = cohort::input;
//   std::string title = input::trimmed(input::text(args, "title"));  // "" when absent
//   auto choice = input::integer(args, "choice");                     // 2 or "2" → 2; "x" → nullopt
//   const cohort::Json& card = input::object(form, "card");           // card[title] → card.title
//   auto length = input::utf8_length(title);                          // characters, not bytes
//   if (!length || *length > 80 || input::has_control(title)) { /* refuse: malformed, too long or not one line */ }
//
// What it owns: the reading of untrusted JSON that arrives from a browser (a store op's args, a
// live event's value, a form's fields) and the checks of text an app stores or shows. Every
// reader accepts an `args` that is not an object, a member that is absent and a member of the
// wrong type, and answers "nothing" (nullptr, "", an empty object, nullopt) instead of
// throwing; deciding what "nothing" means (a refusal, a default) is the app's. It never
// throws (but for std::bad_alloc), never keeps state and never trims, cuts or repairs text
// behind the caller's back: trimmed() is asked for. Pure functions, any thread.
//
// Each reader takes its arguments as a Json or as a JsonObject (a live view's params and session,
// an op's error), and never copies them.
//
// Forms: phx-change and phx-submit send every field as a string, and a nested name
// ("card[title]") as a nested object ({"card": {"title": ...}}); phx-value-* attributes are
// strings too. So integer() also reads a string of digits, and object() reads a form's group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"

namespace cohort::input {

// args[name], or nullptr when args is not an object or has no member name.
const Json* arg(const Json& args, std::string_view name);
const Json* arg(const JsonObject& args, std::string_view name);

// args[name] when it is a string; "" when it is absent or anything else.
std::string text(const Json& args, std::string_view name);
std::string text(const JsonObject& args, std::string_view name);

// args[name] when it is an object; otherwise an empty object (one shared, immutable instance).
const Json& object(const Json& args, std::string_view name);
const Json& object(const JsonObject& args, std::string_view name);

// args[name] as a whole number, or nullopt. Read: a JSON integer within int64; a string of an
// optional '-' and decimal digits within int64 ("42", "-7", "007"; not "+1", " 1", "1.0", "")
// as a form sends it; a JSON number with a fraction part of zero (2.0, 1e3) up to 2^53 in
// magnitude, as JavaScript numbers are. Refused: 2.5 (not whole: no silent rounding), numbers
// beyond int64 or, for doubles, beyond 2^53 (no longer exact), booleans, null and the rest.
std::optional<std::int64_t> integer(const Json& args, std::string_view name);
std::optional<std::int64_t> integer(const JsonObject& args, std::string_view name);

// args[name] when it is a JSON true or false; nullopt otherwise (also for the string "true":
// a checkbox's form value is text, read it with text()).
std::optional<bool> boolean(const Json& args, std::string_view name);
std::optional<bool> boolean(const JsonObject& args, std::string_view name);

// A count or position written in text: 1 to 9 decimal digits, nothing else (no sign, no
// spaces), so 0 ... 999,999,999; nullopt otherwise. What a phx-value position looks like.
std::optional<std::int64_t> whole_number(std::string_view text);

// text without leading and trailing spaces, tabs, carriage returns and newlines.
std::string trimmed(std::string_view text);

// The number of characters (Unicode code points) of text, or nullopt when text is not valid
// UTF-8: a stray continuation byte, a truncated sequence, an overlong form, a UTF-16 surrogate
// (U+D800–U+DFFF) or a code point above U+10FFFF. So that a limit counts what a person sees as
// characters, and nothing malformed is stored (a store refuses such text anyway).
std::optional<std::size_t> utf8_length(std::string_view text);

// Whether text holds a control character (Unicode's Cc: U+0000–U+001F, U+007F DEL and
// U+0080–U+009F) other than the ASCII ones listed in allowed: has_control(title) is true for a
// tab or a newline too; has_control(body, "\n\r\t") accepts a text of several lines.
bool has_control(std::string_view text, std::string_view allowed = {});

// Whether text is a colour "#rrggbb" (7 characters, hex digits of either case after '#'): safe
// to put in a style attribute as it is.
bool is_hex_color(std::string_view text);

}  // namespace cohort::input
