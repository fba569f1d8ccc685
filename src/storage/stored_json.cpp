// stored_json.cpp — the checks and the parse of stored JSON: see stored_json.hpp.
#include "storage/stored_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <cmath>

#include "cohort/config.hpp"

namespace cohort {

StoreLimits store_limits(const Config& config) {
  return StoreLimits{config.store_max_depth, config.store_max_string_bytes, config.store_max_member_bytes,
                     config.store_max_key_bytes};
}

}  // namespace cohort

namespace cohort::storage {
namespace {

// The length of the UTF-8 sequence that starts with lead byte b, or 0 when b cannot start one.
std::size_t sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;  // a continuation byte, an overlong lead (C0, C1) or past U+10FFFF (F5..FF)
}

// The range the byte after lead b must fall in (RFC 3629's table: it rules out overlong forms,
// UTF-16 surrogates and code points past U+10FFFF); the bytes after that are 80..BF.
bool second_byte_ok(unsigned char lead, unsigned char b) {
  if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
  if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
  if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
  if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
  return b >= 0x80 && b <= 0xBF;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t n = sequence_length(lead);
    if (n == 0 || i + n > s.size()) return false;
    if (n > 1 && !second_byte_ok(lead, static_cast<unsigned char>(s[i + 1]))) return false;
    for (std::size_t k = 2; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// where + "/" + the escaped segment (RFC 6901: '~' as "~0", '/' as "~1").
std::string child(const std::string& where, std::string_view segment) {
  std::string out = where + "/";
  for (char c : segment) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string at(std::string_view where) { return where.empty() ? std::string("the root") : std::string(where); }

std::optional<Violation> string_violation(std::string_view s, const StoreLimits& limits, std::string_view where) {
  if (s.size() > limits.max_string_bytes)
    return Violation{true, "a string of " + std::to_string(s.size()) + " bytes at " + at(where) + " (store_max_string_bytes is " +
           std::to_string(limits.max_string_bytes) + ")"};
  if (!valid_utf8(s)) return Violation{false, "a string that is not valid UTF-8 at " + at(where)};
  return std::nullopt;
}

// The walk behind check_value: depth is the number of containers above v.
std::optional<Violation> check_at(const Json& v, const StoreLimits& limits, std::size_t depth,
                                  const std::string& where) {
  if (v.is_double() && !std::isfinite(v.get_double()))
    return Violation{false, "a number that is not finite at " + at(where)};
  if (const json::string* s = v.if_string()) return string_violation(*s, limits, where);
  if (!v.is_structured()) return std::nullopt;
  if (depth + 1 > limits.max_depth)
    return Violation{true, "nesting deeper than " + std::to_string(limits.max_depth) + " at " + at(where) +
                               " (store_max_depth is " + std::to_string(limits.max_depth) + ")"};
  if (const json::array* a = v.if_array()) {
    for (std::size_t i = 0; i < a->size(); ++i)
      if (auto why = check_at((*a)[i], limits, depth + 1, where + "/" + std::to_string(i))) return why;
    return std::nullopt;
  }
  for (const auto& member : v.get_object()) {
    if (auto why = check_member_name(member.key(), limits)) {
      why->detail += " at " + at(where);
      return why;
    }
    if (auto why = check_at(member.value(), limits, depth + 1, child(where, member.key())))
      return why;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Violation> check_value(const Json& v, const StoreLimits& limits, std::size_t depth_above,
                                     std::string_view where) {
  return check_at(v, limits, depth_above, std::string(where));
}

std::optional<Violation> check_string(std::string_view s, const StoreLimits& limits, std::string_view where) {
  return string_violation(s, limits, where);
}

std::optional<Violation> check_member_name(std::string_view name, const StoreLimits& limits) {
  if (name.size() > limits.max_member_bytes)
    return Violation{true, "a member name of " + std::to_string(name.size()) + " bytes (store_max_member_bytes is " +
                               std::to_string(limits.max_member_bytes) + ")"};
  if (!valid_utf8(name)) return Violation{false, "a member name that is not valid UTF-8"};
  return std::nullopt;
}

std::size_t depth_of(const Json& v, std::size_t cap) {
  if (!v.is_structured()) return 0;
  if (cap == 0) return 1;
  std::size_t deepest = 0;
  if (const json::array* a = v.if_array()) {
    for (const Json& child : *a) deepest = std::max(deepest, depth_of(child, cap - 1));
  } else {
    for (const auto& member : v.get_object()) deepest = std::max(deepest, depth_of(member.value(), cap - 1));
  }
  return 1 + deepest;
}

std::optional<std::string> parse_stored(std::string_view text, const StoreLimits& limits, Row row, Json& out) {
  json::parse_options options;
  options.max_depth = limits.max_depth + (row == Row::op_log ? kRowEnvelopeDepth : 0);
  boost::system::error_code ec;
  out = json::parse(text, ec, {}, options);
  if (!ec) return std::nullopt;
  out = nullptr;
  if (ec == json::error::too_deep)
    return "it nests deeper than store_max_depth (" + std::to_string(limits.max_depth) +
           ") allows: start the node with a larger --store-max-depth to load it";
  return "it is not valid JSON (" + ec.message() + ")";
}

}  // namespace cohort::storage
