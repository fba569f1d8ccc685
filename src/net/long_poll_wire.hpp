// long_poll_wire.hpp — the bytes of Phoenix's LongPoll transport, without any session.
//
// Owns: reading a POST body (ndjson: one message a line, up to kMaxPostLines; a line that
// starts with '[' is a text message, any other a base64 binary one), writing the JSON bodies
// the client reads ({"status":S,"token":T,"messages":[...]}, each message a string), and taking
// the messages out of server WebSocket frames (FrameUnwrapper): a LongPoll session is handed the
// same frames a WebSocket would be, shared broadcast frames and the pieces of a spliced frame
// included, and keeps only their payloads. It must never allocate per frame on the common path
// (one complete frame in one piece) beyond the message it keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/ws_frame.hpp"

namespace cohort::net {

// The official client sends at most this many messages in one POST (MAX_LONGPOLL_BATCH_SIZE).
inline constexpr std::size_t kMaxPostLines = 100;

struct PostedMessage {
  ws::Opcode op = ws::Opcode::text;
  std::string bytes;  // a text line as it came, or a binary line decoded
};

// A POST body's messages, or why it was refused ("too many lines", "bad base64 on line N").
struct PostedBatch {
  std::vector<PostedMessage> messages;
  std::string error;  // empty: the body was read
};
PostedBatch parse_post_body(std::string_view body, std::size_t max_lines = kMaxPostLines);

// Standard base64 (with or without padding) → bytes; nothing when it is not base64.
std::optional<std::string> decode_base64(std::string_view text);

// {"status":S} / {"status":S,"token":T,"messages":[M...]} (token null when empty).
std::string status_body(unsigned status);
std::string poll_body(unsigned status, std::string_view token, const std::vector<std::string>& messages);

// The header of an unmasked frame at the start of data: its opcode, flags, header length and
// payload length; nothing while data holds less than the whole header.
struct FrameHead {
  ws::Opcode op = ws::Opcode::text;
  bool fin = false;
  bool rsv1 = false;
  bool masked = false;
  std::size_t header = 0;
  std::uint64_t payload = 0;
};
std::optional<FrameHead> read_frame_head(std::string_view data);

// Complete frames out of the pieces a WebSocket would be sent. feed() calls on_message for each
// whole text or binary frame; a frame a LongPoll client cannot be given (compressed, masked,
// fragmented) is skipped and counted in skipped(). Control frames are skipped silently.
class FrameUnwrapper {
 public:
  using OnMessage = std::function<void(ws::Opcode op, std::string_view payload)>;
  void feed(std::string_view piece, const OnMessage& on_message);
  bool pending() const { return !partial_.empty(); }  // a frame's first pieces wait for the rest
  std::uint64_t skipped() const { return skipped_; }

 private:
  // Handles whole frames at the start of data; returns the bytes consumed.
  std::size_t take(std::string_view data, const OnMessage& on_message);
  std::string partial_;
  std::uint64_t skipped_ = 0;
};

}  // namespace cohort::net
