// app_json.hpp — small JSON helpers the demo apps share: reading op arguments and form values,
// and writing RFC 6902 patch operations. Pure inline functions, any thread, no state.
//
// Arguments reach the apps from browsers (form fields arrive as strings), so every reader here
// accepts what is absent or of the wrong type and answers "nothing" instead of throwing.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"

namespace cohort::apps {

// args[name], or nullptr when args is not an object or has no such member.
inline const Json* arg(const Json& args, std::string_view name) {
  return args.is_object() ? args.get_object().if_contains(name) : nullptr;
}

// args[name] as text ("" when absent or not a string).
inline std::string text_arg(const Json& args, std::string_view name) {
  const Json* v = arg(args, name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// args[name] as a whole number: a JSON integer, or a string of digits (form values).
inline std::optional<std::int64_t> int_arg(const Json& args, std::string_view name) {
  const Json* v = arg(args, name);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= INT64_MAX) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double()) {
    double d = v->get_double();
    if (d >= -9e15 && d <= 9e15) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (!v->is_string()) return std::nullopt;
  std::string_view s = v->get_string();
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

// Leading and trailing spaces, tabs and newlines removed.
inline std::string trimmed(std::string_view s) {
  auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

// "#rrggbb": a colour safe to put in a style attribute (nothing but hex digits after '#').
inline bool is_hex_color(std::string_view c) {
  if (c.size() != 7 || c[0] != '#') return false;
  for (char ch : c.substr(1))
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) return false;
  return true;
}

// One reference token of a JSON Pointer (RFC 6901): '~' -> "~0", '/' -> "~1".
inline std::string pointer_token(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

inline JsonObject patch_op(std::string_view op, std::string path, Json value) {
  return JsonObject{{"op", op}, {"path", std::move(path)}, {"value", std::move(value)}};
}

// A JSON string from text (Json has no implicit conversion from std::string).
inline Json text(std::string_view s) { return Json(s); }

inline JsonObject remove_op(std::string path) { return JsonObject{{"op", "remove"}, {"path", std::move(path)}}; }

// An "invalid" rejection's detail for people: {"reason": "invalid", "detail": text}.
inline JsonObject invalid(std::string detail) { return JsonObject{{"detail", std::move(detail)}}; }

// The "detail" of an op error, or a sentence for its reason, for showing to a person.
inline std::string error_text(const JsonObject& error) {
  if (const Json* d = error.if_contains("detail"); d && d->is_string()) return std::string(d->get_string());
  const Json* r = error.if_contains("reason");
  std::string reason = r && r->is_string() ? std::string(r->get_string()) : "error";
  if (reason == "forbidden") return "You are not allowed to do that.";
  if (reason == "locked") return "Someone else is editing that.";
  if (reason == "storage_error") return "The change could not be saved. Try again.";
  if (reason == "too_large") return "That is too large.";
  return "Refused (" + reason + ").";
}

}  // namespace cohort::apps
