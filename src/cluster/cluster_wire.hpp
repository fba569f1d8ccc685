// cluster_wire.hpp — the messages nodes exchange through Redis, version 1, and their codec.
//
// Owns: the byte format of everything a node publishes (docs/cluster.md "Wire format"), and
// nothing else: pure functions, any thread, no I/O. Decoding untrusted bytes never throws; a
// message that does not parse comes back as an error string (the caller counts and drops it).
// Every message travels behind a seal (cluster_seal.hpp), checked before anything here decodes
// it; the formats below are what follows the seal.
//
// Two channels carry them:
//  * `<prefix>t:<topic>` — one broadcast: a text head, then the event and payload bytes as-is:
//      "C1 <node:8 hex> <j|b> <event length>\n" <event> <payload>
//    j = the payload is JSON text, b = the payload is the bytes of a binary broadcast. The
//    topic is the channel name, so it is not repeated.
//  * `<prefix>cluster` — membership and presence replication, one JSON object per message with
//    "v": 1, "k": kind, "n": the sender's node id, "s": the sender's presence sequence number:
//      hb    heartbeat                                   {s}
//      d     presence delta on one topic                  {s, t: topic, j: joins, l: leaves}
//      full  digest: every presence the sender owns       {s, p: {topic: {key: {metas}}}}
//      hello a node (re)joined: everyone sends a digest    {}
//      sync  asks node "to" for a digest (a gap was seen)  {to}
//      bye   the sender is leaving (clean shutdown)        {}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/system/error_code.hpp>

#include "cohort/json.hpp"
#include "cohort/pubsub.hpp"

namespace cohort::cluster {

inline constexpr int kWireVersion = 1;

// Parses a message from another node. Peers forward what clients and stores produced — store
// states nested up to store_max_depth (at most 512) inside the wire's own envelope, presence
// metas inside a digest — so the depth bound is well above any of those, not Boost.JSON's
// default 32 (which dropped deep states and metas between nodes). A number out of a double's
// range is an error (exponent_overflow), as from clients (net/client_json.hpp). Never throws.
Json parse_wire_json(std::string_view bytes, boost::system::error_code& ec);

// ---- broadcasts --------------------------------------------------------------------------

// The bytes published for a broadcast made on node `node` (appended to out: the seal's room).
std::string encode_broadcast(std::uint32_t node, const Broadcast& message);
void append_broadcast(std::string& out, std::uint32_t node, const Broadcast& message);

struct WireBroadcast {
  std::uint32_t node = 0;  // the publishing node
  Broadcast message;       // topic filled from the channel; frame and from left empty
};
struct WireError {
  std::string reason;
};

// Parses a broadcast published on topic's channel.
std::variant<WireBroadcast, WireError> decode_broadcast(std::string_view topic, std::string_view bytes);

// ---- cluster control ---------------------------------------------------------------------

enum class ControlKind { heartbeat, delta, digest, hello, sync, bye };

struct ControlMessage {
  ControlKind kind = ControlKind::heartbeat;
  std::uint32_t node = 0;    // sender
  std::uint64_t seq = 0;     // sender's presence sequence (hb, d, full)
  std::string topic;         // d
  JsonObject joins, leaves;  // d
  JsonObject topics;         // full: {topic: presence state}
  std::uint32_t to = 0;      // sync: the node asked for its digest
};

std::string encode_control(const ControlMessage& message);
std::variant<ControlMessage, WireError> decode_control(std::string_view bytes);

}  // namespace cohort::cluster
