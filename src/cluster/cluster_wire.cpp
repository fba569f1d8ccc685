// cluster_wire.cpp — the version-1 cluster messages: see cluster_wire.hpp.
#include "cluster/cluster_wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdio>

#include "net/client_json.hpp"

namespace cohort::cluster {

Json parse_wire_json(std::string_view bytes, boost::system::error_code& ec) {
  json::parse_options options;
  options.max_depth = 600;  // 512 (the largest store_max_depth) + the deepest envelope, with room
  Json v = json::parse(bytes, ec, {}, options);
  // 1e400 parses as infinity, which would be written out as `Infinity`: not JSON for any client.
  if (!ec && !net::numbers_finite(v)) ec = json::error::exponent_overflow;
  return v;
}

namespace {

constexpr std::string_view kBroadcastMagic = "C1 ";

struct KindName {
  ControlKind kind;
  std::string_view name;
};
constexpr KindName kKinds[] = {{ControlKind::heartbeat, "hb"}, {ControlKind::delta, "d"},
                               {ControlKind::digest, "full"},  {ControlKind::hello, "hello"},
                               {ControlKind::sync, "sync"},    {ControlKind::bye, "bye"}};

std::string_view name_of(ControlKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.name;
  return "?";
}

template <class T>
bool parse_uint(std::string_view text, T& out, int base = 10) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// A field of obj that must be an unsigned integer.
bool read_uint(const JsonObject& obj, std::string_view key, std::uint64_t& out) {
  const Json* v = obj.if_contains(key);
  if (!v) return false;
  if (v->is_uint64()) out = v->get_uint64();
  else if (v->is_int64() && v->get_int64() >= 0) out = static_cast<std::uint64_t>(v->get_int64());
  else return false;
  return true;
}

const JsonObject* object_field(const JsonObject& obj, std::string_view key) {
  const Json* v = obj.if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

}  // namespace

void append_broadcast(std::string& out, std::uint32_t node, const Broadcast& message) {
  char head[48];
  int n = std::snprintf(head, sizeof head, "C1 %08x %c %zu\n", node, message.is_binary ? 'b' : 'j',
                        message.event.size());
  out.append(head, static_cast<std::size_t>(n));
  out += message.event;
  if (message.is_binary) out += message.binary;
  else out += json::serialize(message.payload);
}

std::string encode_broadcast(std::uint32_t node, const Broadcast& message) {
  std::string out;
  append_broadcast(out, node, message);
  return out;
}

std::variant<WireBroadcast, WireError> decode_broadcast(std::string_view topic, std::string_view bytes) {
  if (!bytes.starts_with(kBroadcastMagic)) return WireError{"not a version-1 broadcast"};
  auto nl = bytes.find('\n');
  if (nl == std::string_view::npos) return WireError{"broadcast head has no end"};
  std::string_view head = bytes.substr(kBroadcastMagic.size(), nl - kBroadcastMagic.size());
  // head: "<node hex> <kind> <event length>"
  auto s1 = head.find(' ');
  auto s2 = s1 == std::string_view::npos ? s1 : head.find(' ', s1 + 1);
  if (s2 == std::string_view::npos) return WireError{"broadcast head is malformed"};
  WireBroadcast out;
  std::size_t event_len = 0;
  std::string_view kind = head.substr(s1 + 1, s2 - s1 - 1);
  if (!parse_uint(head.substr(0, s1), out.node, 16)) return WireError{"broadcast node id is malformed"};
  if (kind != "j" && kind != "b") return WireError{"broadcast kind must be j or b"};
  if (!parse_uint(head.substr(s2 + 1), event_len)) return WireError{"broadcast event length is malformed"};
  std::string_view rest = bytes.substr(nl + 1);
  if (event_len > rest.size()) return WireError{"broadcast is shorter than its event"};
  out.message.topic = topic;
  out.message.event = rest.substr(0, event_len);
  std::string_view payload = rest.substr(event_len);
  if (kind == "b") {
    out.message.is_binary = true;
    out.message.binary = payload;
    return out;
  }
  boost::system::error_code ec;
  out.message.payload = parse_wire_json(payload, ec);
  if (ec) return WireError{"broadcast payload is not JSON: " + ec.message()};
  return out;
}

std::string encode_control(const ControlMessage& m) {
  JsonObject o;
  o["v"] = kWireVersion;
  o["k"] = name_of(m.kind);
  o["n"] = m.node;
  switch (m.kind) {
    case ControlKind::heartbeat: o["s"] = m.seq; break;
    case ControlKind::delta:
      o["s"] = m.seq;
      o["t"] = m.topic;
      o["j"] = m.joins;
      o["l"] = m.leaves;
      break;
    case ControlKind::digest:
      o["s"] = m.seq;
      o["p"] = m.topics;
      break;
    case ControlKind::sync: o["to"] = m.to; break;
    case ControlKind::hello:
    case ControlKind::bye: break;
  }
  return json::serialize(o);
}

std::variant<ControlMessage, WireError> decode_control(std::string_view bytes) {
  boost::system::error_code ec;
  Json doc = parse_wire_json(bytes, ec);
  if (ec || !doc.is_object()) return WireError{"control message is not a JSON object"};
  const JsonObject& o = doc.get_object();
  std::uint64_t version = 0, node = 0;
  if (!read_uint(o, "v", version) || version != kWireVersion) return WireError{"control message is not version 1"};
  if (!read_uint(o, "n", node) || node > 0xffffffffu) return WireError{"control message has no node id"};
  const Json* k = o.if_contains("k");
  if (!k || !k->is_string()) return WireError{"control message has no kind"};
  ControlMessage m;
  m.node = static_cast<std::uint32_t>(node);
  const KindName* found = nullptr;
  for (const auto& kn : kKinds)
    if (kn.name == std::string_view(k->get_string())) found = &kn;
  if (!found) return WireError{"unknown control kind '" + std::string(k->get_string()) + "'"};
  m.kind = found->kind;
  bool needs_seq = m.kind == ControlKind::heartbeat || m.kind == ControlKind::delta || m.kind == ControlKind::digest;
  if (needs_seq && !read_uint(o, "s", m.seq)) return WireError{"control message has no sequence number"};
  if (m.kind == ControlKind::delta) {
    const Json* t = o.if_contains("t");
    const JsonObject* j = object_field(o, "j");
    const JsonObject* l = object_field(o, "l");
    if (!t || !t->is_string() || !j || !l) return WireError{"delta needs t, j and l"};
    m.topic = t->get_string();
    m.joins = *j;
    m.leaves = *l;
  } else if (m.kind == ControlKind::digest) {
    const JsonObject* p = object_field(o, "p");
    if (!p) return WireError{"digest needs p"};
    m.topics = *p;
  } else if (m.kind == ControlKind::sync) {
    std::uint64_t to = 0;
    if (!read_uint(o, "to", to) || to > 0xffffffffu) return WireError{"sync needs to"};
    m.to = static_cast<std::uint32_t>(to);
  }
  return m;
}

}  // namespace cohort::cluster
