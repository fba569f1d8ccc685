// serializer.hpp — the Phoenix Channels V2 wire format: decode client frames, encode server ones.
//
// Owns: the text format [join_ref, ref, topic, event, payload] and the binary format (client
// push: 5-byte header with ref; server push: 4-byte header without ref; reply; broadcast;
// docs/protocol.md, Text frames and Binary frames). Refs are opaque: a client's refs are echoed back as the exact JSON
// it sent. A text message is parsed by net/client_json.hpp within the node's parser limits
// (json_max_depth, json_max_bytes), never without them. Pure functions, no state (the parse
// counts its refusals); it must never decide what a message means.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"
#include "net/client_json.hpp"

namespace cohort::channels {

// One decoded client message.
struct InMessage {
  std::string join_ref_json = "null";  // the refs as JSON text, echoed verbatim in replies
  std::string ref_json = "null";
  std::optional<std::string> join_ref;  // the refs' values when they are strings
  std::optional<std::string> ref;
  std::string topic;
  std::string event;
  Json payload;             // a JSON push
  std::string_view bytes;   // a binary push (points into the frame being decoded)
  bool is_binary = false;
  // Set when the frame is well-formed but its refs are neither strings nor null: the server
  // answers with an error reply instead of acting on it.
  std::string bad_request;
};

// Why a client frame could not be decoded. too_big: the text is over json_max_bytes (the
// socket closes with 1009); otherwise it is undecodable (1007).
struct DecodeError {
  std::string reason;
  bool too_big = false;
};

// Decodes a text frame within limits. On failure returns why. The envelope scanner
// (decode_plain_envelope) takes the common message; anything it does not take, and every
// malformed one, goes to the tree (decode_text_by_tree), so refusals and their reasons are the
// tree's.
std::optional<DecodeError> decode_text(std::string_view text, InMessage& out,
                                       const net::ParserLimits& limits = {});
// The reference decode: the whole text parsed as one JSON tree, then read.
std::optional<DecodeError> decode_text_by_tree(std::string_view text, InMessage& out,
                                               const net::ParserLimits& limits = {});
// The fast path: scans the envelope [join_ref, ref, topic, event, payload] without building a
// tree and parses only the payload. Takes a message only when the refs are plain strings
// (printable ASCII, no '"' or '\\') or null, topic and event are plain strings, and the payload
// is one JSON value within limits followed by the closing bracket: then out is what
// decode_text_by_tree would make of it. Otherwise returns false, counts nothing and leaves out
// as it was.
bool decode_plain_envelope(std::string_view text, InMessage& out, const net::ParserLimits& limits);
// Decodes a binary client push (kind 0). On failure returns why.
std::optional<DecodeError> decode_binary(std::string_view frame, InMessage& out);

// Appends s as a JSON string literal (quoted and escaped).
void append_json_string(std::string& out, std::string_view s);
// A ref as JSON text: "\"3\"" for a string, "null" for none.
std::string ref_json(const std::optional<std::string>& ref);

// "[join_ref,ref,topic,event," — a message up to its payload, for callers that append a
// payload they already hold as JSON text (then "]").
std::string encode_head(std::string_view join_ref_json, std::string_view ref_json, std::string_view topic,
                        std::string_view event);
// [join_ref, ref, topic, event, payload]; refs are JSON text ("null" or a quoted string).
std::string encode_message(std::string_view join_ref_json, std::string_view ref_json,
                           std::string_view topic, std::string_view event, const Json& payload);
// A phx_reply: payload {"status": status, "response": response}.
std::string encode_reply(std::string_view join_ref_json, std::string_view ref_json,
                         std::string_view topic, std::string_view status, const Json& response);

// The same, appended to out (a caller's reused buffer: no allocation once it is big enough).
void append_reply(std::string& out, std::string_view join_ref_json, std::string_view ref_json,
                  std::string_view topic, std::string_view status, const Json& response);
// v as JSON text, appended to out (as json::serialize writes it, without a string of its own).
void append_json(std::string& out, const Json& v);

// Binary server frames (refs as plain strings; each field at most 255 bytes).
std::string encode_binary_push(std::string_view join_ref, std::string_view topic,
                               std::string_view event, std::string_view bytes);
std::string encode_binary_reply(std::string_view join_ref, std::string_view ref,
                                std::string_view topic, std::string_view status,
                                std::string_view bytes);
std::string encode_binary_broadcast(std::string_view topic, std::string_view event,
                                    std::string_view bytes);

}  // namespace cohort::channels
