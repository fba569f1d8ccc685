// phx_frame.cpp — scanning and writing Phoenix V2 frames: see phx_frame.hpp.
#include "phx_frame.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace cohort::bench {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void skip_space(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_space(s[i])) ++i;
}

const char* skip_space(const char* p, const char* end) {
  while (p < end && is_space(*p)) ++p;
  return p;
}

// Reads a string or null at p, then the comma after it. Returns the position after the comma,
// or nullptr. Pointer code: this runs once per element of every frame received.
const char* scan_element(const char* p, const char* end, bool& is_null, std::string_view& value) {
  p = skip_space(p, end);
  if (end - p >= 4 && std::memcmp(p, "null", 4) == 0) {
    is_null = true;
    value = {};
    p += 4;
  } else if (p < end && *p == '"') {
    const char* start = ++p;
    for (;;) {
      p = static_cast<const char*>(std::memchr(p, '"', end - p));
      if (!p) return nullptr;
      std::size_t backslashes = 0;  // an escaped quote has an odd run of backslashes before it
      while (p - backslashes > start && p[-1 - static_cast<std::ptrdiff_t>(backslashes)] == '\\') ++backslashes;
      if (backslashes % 2 == 0) break;
      ++p;
    }
    is_null = false;
    value = std::string_view(start, p - start);
    ++p;
  } else {
    return nullptr;
  }
  p = skip_space(p, end);
  if (p >= end || *p != ',') return nullptr;
  return p + 1;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

bool scan_frame(std::string_view text, PhxFrame& out) {
  const char* p = text.data();
  const char* end = p + text.size();
  p = skip_space(p, end);
  if (p >= end || *p != '[') return false;
  ++p;
  bool topic_null = false, event_null = false;
  if (!(p = scan_element(p, end, out.join_ref_null, out.join_ref))) return false;
  if (!(p = scan_element(p, end, out.ref_null, out.ref))) return false;
  if (!(p = scan_element(p, end, topic_null, out.topic)) || topic_null) return false;
  if (!(p = scan_element(p, end, event_null, out.event)) || event_null) return false;
  while (end > p && is_space(end[-1])) --end;
  if (end <= p || end[-1] != ']') return false;
  --end;
  p = skip_space(p, end);
  while (end > p && is_space(end[-1])) --end;
  out.payload = std::string_view(p, end - p);
  return true;
}

std::optional<std::int64_t> find_int_member(std::string_view json, std::string_view quoted_key) {
  // Candidates start at a quote; memchr skips long strings (a pad) at memory speed.
  const char* p = json.data();
  const char* end = p + json.size();
  while ((p = static_cast<const char*>(std::memchr(p, '"', end - p)))) {
    if (static_cast<std::size_t>(end - p) >= quoted_key.size() &&
        std::memcmp(p, quoted_key.data(), quoted_key.size()) == 0) {
      const char* q = skip_space(p + quoted_key.size(), end);
      if (q < end && *q == ':') {
        q = skip_space(q + 1, end);
        std::int64_t v = 0;
        auto [after, ec] = std::from_chars(q, end, v);
        if (ec != std::errc()) return std::nullopt;
        return v;
      }
    }
    ++p;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> ref_number(std::string_view ref) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), v);
  if (ec != std::errc() || p != ref.data() + ref.size()) return std::nullopt;
  return v;
}

bool reply_is_ok(std::string_view payload, std::string& why) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec);
  if (!ec && v.is_object())
    if (auto* status = v.get_object().if_contains("status"))
      if (status->is_string() && status->get_string() == "ok") return true;
  why = std::string(payload.substr(0, 300));
  return false;
}

std::string_view scan_reply_status(std::string_view payload) {
  constexpr std::string_view kKey = "\"status\"";
  const void* hit = memmem(payload.data(), payload.size(), kKey.data(), kKey.size());
  if (!hit) return {};
  std::size_t i = static_cast<const char*>(hit) - payload.data() + kKey.size();
  skip_space(payload, i);
  if (i >= payload.size() || payload[i] != ':') return {};
  ++i;
  skip_space(payload, i);
  if (i >= payload.size() || payload[i] != '"') return {};
  std::size_t start = ++i;
  while (i < payload.size() && payload[i] != '"') ++i;
  return payload.substr(start, i - start);
}

void append_frame(std::string& out, std::string_view join_ref, std::string_view ref, std::string_view topic,
                  std::string_view event, std::string_view payload) {
  out += '[';
  if (join_ref.empty()) out += "null";
  else append_json_string(out, join_ref);
  out += ',';
  if (ref.empty()) out += "null";
  else append_json_string(out, ref);
  out += ',';
  append_json_string(out, topic);
  out += ',';
  append_json_string(out, event);
  out += ',';
  out += payload;
  out += ']';
}

}  // namespace cohort::bench
