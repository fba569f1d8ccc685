// input.cpp — reading what browsers send; the contract is in cohort/input.hpp. It lives in the
// store layer, the lowest one whose code (op handlers) reads browser input; live views sit above.
// UTF-8 is checked by the WebSocket frame layer's validator, so Cohort has one meaning of "valid".
#include "cohort/input.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "net/ws_frame.hpp"

namespace cohort::input {

namespace {

// 2^53: above it a double no longer holds every whole number, so it names none exactly.
constexpr double kMaxExactDouble = 9007199254740992.0;

// s in full as an optional '-' and decimal digits within int64, or nullopt.
std::optional<std::int64_t> signed_digits(std::string_view s) {
  std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;  // beyond int64
  return n;
}

std::optional<std::int64_t> whole_double(double d) {
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > kMaxExactDouble) return std::nullopt;
  return static_cast<std::int64_t>(d);
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The readers, given the member found (or nullptr); both overloads of each reader share them.

std::string text_of(const Json* v) { return v && v->is_string() ? std::string(v->get_string()) : std::string(); }

const Json& object_of(const Json* v) {
  static const Json kEmpty = JsonObject{};  // never changed after construction: safe to share
  return v && v->is_object() ? *v : kEmpty;
}

std::optional<std::int64_t> integer_of(const Json* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {  // parsed: only what int64 cannot hold; built by server code: any size
    std::uint64_t u = v->get_uint64();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v->is_double()) return whole_double(v->get_double());
  if (v->is_string()) return signed_digits(v->get_string());
  return std::nullopt;
}

std::optional<bool> boolean_of(const Json* v) {
  if (v && v->is_bool()) return v->get_bool();
  return std::nullopt;
}

}  // namespace

const Json* arg(const JsonObject& args, std::string_view name) { return args.if_contains(name); }
const Json* arg(const Json& args, std::string_view name) {
  return args.is_object() ? arg(args.get_object(), name) : nullptr;
}

std::string text(const Json& args, std::string_view name) { return text_of(arg(args, name)); }
std::string text(const JsonObject& args, std::string_view name) { return text_of(arg(args, name)); }

const Json& object(const Json& args, std::string_view name) { return object_of(arg(args, name)); }
const Json& object(const JsonObject& args, std::string_view name) { return object_of(arg(args, name)); }

std::optional<std::int64_t> integer(const Json& args, std::string_view name) { return integer_of(arg(args, name)); }
std::optional<std::int64_t> integer(const JsonObject& args, std::string_view name) {
  return integer_of(arg(args, name));
}

std::optional<bool> boolean(const Json& args, std::string_view name) { return boolean_of(arg(args, name)); }
std::optional<bool> boolean(const JsonObject& args, std::string_view name) { return boolean_of(arg(args, name)); }

std::optional<std::int64_t> whole_number(std::string_view text) {
  if (text.empty() || text.size() > 9 || text.starts_with('-')) return std::nullopt;
  return signed_digits(text);
}

std::string trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(kSpace);
  return std::string(text.substr(first, last - first + 1));
}

std::optional<std::size_t> utf8_length(std::string_view text) {
  if (!net::ws::valid_utf8(text)) return std::nullopt;
  std::size_t n = 0;
  for (char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;  // every byte but a continuation starts one
  return n;
}

bool has_control(std::string_view text, std::string_view allowed) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto b = static_cast<unsigned char>(text[i]);
    bool ascii = b < 0x20 || b == 0x7F;
    if (ascii && allowed.find(text[i]) == std::string_view::npos) return true;
    // U+0080–U+009F is 0xC2 then 0x80–0x9F in UTF-8.
    if (b == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9F &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80)
      return true;
  }
  return false;
}

bool is_hex_color(std::string_view text) {
  if (text.size() != 7 || text[0] != '#') return false;
  for (char c : text.substr(1))
    if (!is_hex_digit(c)) return false;
  return true;
}

}  // namespace cohort::input
