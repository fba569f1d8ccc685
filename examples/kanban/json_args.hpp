// json_args.hpp — reading what browsers send (op arguments, form fields, phx-value attributes)
// and writing JSON Patch operations, for the kanban board's store and view.
//
// Everything here accepts what is absent or of the wrong type and answers "nothing" instead of
// throwing: arguments come from browsers. Pure inline functions; any thread.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"

namespace kanban {

using cohort::Json;
using cohort::JsonObject;
namespace json = cohort::json;

// args[name], or nullptr when args is not an object or has no such member.
inline const Json* arg(const Json& args, std::string_view name) {
  return args.is_object() ? args.get_object().if_contains(name) : nullptr;
}

// args[name] as text: "" when absent or not a string.
inline std::string text_arg(const Json& args, std::string_view name) {
  const Json* v = arg(args, name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// args[name], an object, or an empty one (a form's nested fields: "card[title]" → card.title).
inline const Json& object_arg(const Json& args, std::string_view name) {
  static const Json kEmpty = JsonObject{};
  const Json* v = arg(args, name);
  return v && v->is_object() ? *v : kEmpty;
}

// Whole decimal digits only ("0" … "999999999"): what a phx-value position looks like.
inline std::optional<std::int64_t> whole_number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < 0) return std::nullopt;
  return n;
}

// Leading and trailing spaces, tabs and newlines removed.
inline std::string trimmed(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// The number of characters (UTF-8 code points) of s, or nullopt when s is not valid UTF-8 (an
// overlong form, a surrogate, a stray continuation byte or a truncated sequence), so that a
// limit counts characters and nothing malformed is stored.
inline std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return std::nullopt;
    std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    i += len;
  }
  return n;
}

// Whether s holds a control character (below U+0020, or DEL); newlines and tabs count.
inline bool has_control(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

inline JsonObject patch_op(std::string_view op, std::string path, Json value) {
  return JsonObject{{"op", op}, {"path", std::move(path)}, {"value", std::move(value)}};
}
inline JsonObject remove_op(std::string path) { return JsonObject{{"op", "remove"}, {"path", std::move(path)}}; }
inline JsonObject move_op(std::string from, std::string path) {
  return JsonObject{{"op", "move"}, {"from", std::move(from)}, {"path", std::move(path)}};
}

// A JSON string from text (Json has no implicit conversion from std::string).
inline Json text_of(std::string_view s) { return Json(s); }

}  // namespace kanban
