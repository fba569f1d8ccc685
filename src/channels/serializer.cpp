// serializer.cpp — Phoenix Channels V2 encoding: see serializer.hpp.
#include "channels/serializer.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

#include <algorithm>

namespace cohort::channels {

namespace {

// Reads one ref element: a string, null, or (bad request) anything else.
void read_ref(const Json& v, std::string& as_json, std::optional<std::string>& as_string,
              std::string& bad_request) {
  if (v.is_string()) {
    as_string.emplace(v.get_string());
    as_json.clear();
    append_json_string(as_json, *as_string);
  } else {
    as_json = json::serialize(v);
    if (!v.is_null()) bad_request = "refs must be strings or null";
  }
}

void append_u8_string(std::string& out, std::string_view s) { out.append(s); }

bool fits_u8(std::string_view s) { return s.size() <= 255; }

// ---- the envelope scanner (decode_plain_envelope) ----
// Reads [join_ref, ref, "topic", "event", payload] left to right over a cursor. Every string it
// takes is "plain": printable ASCII without '"' or '\\', so its JSON text is its value between
// quotes and it decodes and re-encodes to the same bytes. Anything else ends the scan (false).

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void skip_space(std::string_view& s) {
  while (!s.empty() && json_space(s.front())) s.remove_prefix(1);
}

bool take_char(std::string_view& s, char c) {
  skip_space(s);
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

// A plain string with its quotes, or nullopt.
std::optional<std::string_view> take_plain_string(std::string_view& s) {
  skip_space(s);
  if (s.empty() || s.front() != '"') return std::nullopt;
  for (std::size_t i = 1; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      std::string_view quoted = s.substr(0, i + 1);
      s.remove_prefix(i + 1);
      return quoted;
    }
    if (c < 0x20 || c > 0x7E || c == '\\') return std::nullopt;
  }
  return std::nullopt;
}

// A ref: a plain string (value and JSON text set) or null (JSON text "null"; the value is left
// as read_ref leaves it). Anything else (a number: a bad request) is the tree's business.
bool take_ref(std::string_view& s, std::string& as_json, std::optional<std::string>& as_string) {
  skip_space(s);
  if (s.starts_with("null")) {
    s.remove_prefix(4);
    as_json = "null";
    return true;
  }
  auto quoted = take_plain_string(s);
  if (!quoted) return false;
  as_json.assign(*quoted);
  as_string.emplace(quoted->substr(1, quoted->size() - 2));
  return true;
}

}  // namespace

bool decode_plain_envelope(std::string_view text, InMessage& out, const net::ParserLimits& limits) {
  if (text.size() > limits.json_max_bytes || limits.json_max_depth < 1) return false;
  std::string_view s = text;
  // The payload is what lies between the fourth comma and the closing bracket; when it is one
  // JSON value the whole text is exactly the five-element array the tree would hold.
  std::string_view rest = s;
  while (!rest.empty() && json_space(rest.back())) rest.remove_suffix(1);
  if (rest.empty() || rest.back() != ']') return false;
  rest.remove_suffix(1);
  s = rest;
  InMessage m;
  if (!take_char(s, '[') || !take_ref(s, m.join_ref_json, m.join_ref) || !take_char(s, ',') ||
      !take_ref(s, m.ref_json, m.ref) || !take_char(s, ','))
    return false;
  auto topic = take_plain_string(s);
  if (!topic || !take_char(s, ',')) return false;
  auto event = take_plain_string(s);
  if (!event || !take_char(s, ',')) return false;
  if (!net::parse_json_within(s, limits.json_max_depth - 1, m.payload)) return false;
  // Commit only now: a scan that gives up leaves out as it was, for the tree.
  if (m.join_ref) out.join_ref = std::move(m.join_ref);
  if (m.ref) out.ref = std::move(m.ref);
  out.join_ref_json = std::move(m.join_ref_json);
  out.ref_json = std::move(m.ref_json);
  out.topic.assign(topic->substr(1, topic->size() - 2));
  out.event.assign(event->substr(1, event->size() - 2));
  out.payload = std::move(m.payload);
  out.is_binary = false;
  return true;
}

void append_json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;  // start of the current run of plain characters
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        out.append("\\u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

std::string ref_json(const std::optional<std::string>& ref) {
  if (!ref) return "null";
  std::string out;
  append_json_string(out, *ref);
  return out;
}

std::optional<DecodeError> decode_text_by_tree(std::string_view text, InMessage& out, const net::ParserLimits& limits) {
  net::ClientJson parsed = net::parse_client_json(text, limits);
  if (!parsed) return DecodeError{std::move(parsed.reason), parsed.refusal == net::JsonRefusal::too_big};
  Json& doc = parsed.value;
  if (!doc.is_array()) return DecodeError{"a message must be a JSON array [join_ref, ref, topic, event, payload]"};
  auto& a = doc.get_array();
  if (a.size() < 5)
    return DecodeError{"a message must have 5 elements [join_ref, ref, topic, event, payload], got " +
                       std::to_string(a.size())};
  if (!a[2].is_string()) return DecodeError{"topic must be a string"};
  if (!a[3].is_string()) return DecodeError{"event must be a string"};
  read_ref(a[0], out.join_ref_json, out.join_ref, out.bad_request);
  read_ref(a[1], out.ref_json, out.ref, out.bad_request);
  out.topic = a[2].get_string();
  out.event = a[3].get_string();
  out.payload = std::move(a[4]);
  out.is_binary = false;
  return std::nullopt;
}

std::optional<DecodeError> decode_text(std::string_view text, InMessage& out, const net::ParserLimits& limits) {
  if (decode_plain_envelope(text, out, limits)) return std::nullopt;
  return decode_text_by_tree(text, out, limits);
}

std::optional<DecodeError> decode_binary(std::string_view frame, InMessage& out) {
  if (frame.size() < 5) return DecodeError{"binary message shorter than its 5-byte header"};
  auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(frame[i]); };
  if (u(0) != 0)
    return DecodeError{"binary message of unknown kind " + std::to_string(u(0)) + " (clients send kind 0, push)"};
  std::size_t lens[4] = {u(1), u(2), u(3), u(4)};
  std::size_t pos = 5;
  std::string_view fields[4];
  for (int i = 0; i < 4; ++i) {
    if (frame.size() - pos < lens[i]) return DecodeError{"binary message header lengths exceed its size"};
    fields[i] = frame.substr(pos, lens[i]);
    pos += lens[i];
  }
  out.join_ref.emplace(fields[0]);
  out.ref.emplace(fields[1]);
  out.join_ref_json = ref_json(out.join_ref);
  out.ref_json = ref_json(out.ref);
  out.topic = fields[2];
  out.event = fields[3];
  out.bytes = frame.substr(pos);
  out.is_binary = true;
  return std::nullopt;
}

namespace {

// "[join_ref,ref,topic,event," appended to out.
void append_head(std::string& out, std::string_view join_ref_json, std::string_view ref_json, std::string_view topic,
                 std::string_view event) {
  out.reserve(out.size() + 24 + join_ref_json.size() + ref_json.size() + topic.size() + event.size());
  out.push_back('[');
  out.append(join_ref_json);
  out.push_back(',');
  out.append(ref_json);
  out.push_back(',');
  append_json_string(out, topic);
  out.push_back(',');
  append_json_string(out, event);
  out.push_back(',');
}

}  // namespace

std::string encode_head(std::string_view join_ref_json, std::string_view ref_json, std::string_view topic,
                        std::string_view event) {
  std::string out;
  append_head(out, join_ref_json, ref_json, topic, event);
  return out;
}

void append_json(std::string& out, const Json& value) {
  json::serializer sr;
  sr.reset(&value);
  while (!sr.done()) {
    std::size_t used = out.size();
    out.resize(std::max(out.capacity(), used + 64));
    std::size_t n = sr.read(out.data() + used, out.size() - used).size();
    out.resize(used + n);
  }
}

std::string encode_message(std::string_view join_ref_json, std::string_view ref_json,
                           std::string_view topic, std::string_view event, const Json& payload) {
  std::string out = encode_head(join_ref_json, ref_json, topic, event);
  append_json(out, payload);
  out.push_back(']');
  return out;
}

void append_reply(std::string& out, std::string_view join_ref_json, std::string_view ref_json, std::string_view topic,
                  std::string_view status, const Json& response) {
  append_head(out, join_ref_json, ref_json, topic, "phx_reply");
  out.append("{\"status\":");
  append_json_string(out, status);
  out.append(",\"response\":");
  append_json(out, response);
  out.append("}]");
}

std::string encode_reply(std::string_view join_ref_json, std::string_view ref_json,
                         std::string_view topic, std::string_view status, const Json& response) {
  std::string out;
  append_reply(out, join_ref_json, ref_json, topic, status, response);
  return out;
}

std::string encode_binary_push(std::string_view join_ref, std::string_view topic,
                               std::string_view event, std::string_view bytes) {
  if (!fits_u8(join_ref) || !fits_u8(topic) || !fits_u8(event)) return {};
  std::string out;
  out.push_back(0);
  out.push_back(static_cast<char>(join_ref.size()));
  out.push_back(static_cast<char>(topic.size()));
  out.push_back(static_cast<char>(event.size()));
  for (auto s : {join_ref, topic, event, bytes}) append_u8_string(out, s);
  return out;
}

std::string encode_binary_reply(std::string_view join_ref, std::string_view ref,
                                std::string_view topic, std::string_view status,
                                std::string_view bytes) {
  if (!fits_u8(join_ref) || !fits_u8(ref) || !fits_u8(topic) || !fits_u8(status)) return {};
  std::string out;
  out.push_back(1);
  for (auto s : {join_ref, ref, topic, status}) out.push_back(static_cast<char>(s.size()));
  for (auto s : {join_ref, ref, topic, status, bytes}) append_u8_string(out, s);
  return out;
}

std::string encode_binary_broadcast(std::string_view topic, std::string_view event,
                                    std::string_view bytes) {
  if (!fits_u8(topic) || !fits_u8(event)) return {};
  std::string out;
  out.push_back(2);
  out.push_back(static_cast<char>(topic.size()));
  out.push_back(static_cast<char>(event.size()));
  for (auto s : {topic, event, bytes}) append_u8_string(out, s);
  return out;
}

}  // namespace cohort::channels
