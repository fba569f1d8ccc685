// ws_frame.hpp — the RFC 6455 frame layer: encode frames, and turn a byte stream into messages.
//
// Owns: the wire format of WebSocket frames (header, 7/16/64-bit lengths, masking), message
// reassembly from fragments, control frames interleaved between fragments, UTF-8 checking of
// text messages and the size limit of a message. It is pure: no sockets, no threads, no
// allocation while a connection is idle (an idle FrameReader holds two empty strings).
// It must never decide what a message means; that is the caller's (channels) business.
// Used by the server (expects masked frames) and by the bench client (expects unmasked).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cohort::net::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes Cohort sends (RFC 6455 section 7.4.1).
enum class CloseCode : std::uint16_t {
  normal = 1000,
  going_away = 1001,
  protocol_error = 1002,
  unsupported_data = 1003,
  invalid_payload = 1007,  // e.g. a text message that is not UTF-8
  policy_violation = 1008,
  too_big = 1009,
  internal_error = 1011,
};

// Largest frame header: 2 bytes + 8 length bytes + 4 mask bytes.
inline constexpr std::size_t kMaxHeaderSize = 14;

// The RSV1 bit of a frame's first byte: "this message is compressed" under permessage-deflate.
inline constexpr std::uint8_t kRsv1 = 0x40;

// Writes a frame header into out (at least kMaxHeaderSize bytes); returns its length.
// mask == nullptr writes an unmasked (server-to-client) header.
std::size_t write_header(std::uint8_t* out, Opcode op, std::uint64_t payload_len, bool fin,
                         const std::uint8_t* mask = nullptr);

// A complete unmasked frame (header + payload), as the server sends it.
std::string encode_frame(Opcode op, std::string_view payload, bool fin = true);

// A complete masked frame, as a client sends it.
std::string encode_masked_frame(Opcode op, std::string_view payload, std::uint32_t mask_key,
                                bool fin = true);

// A close frame carrying code and reason (the reason is cut to fit 125 bytes).
std::string encode_close(CloseCode code, std::string_view reason, bool masked = false);

// XORs data with the 4-byte mask, starting at mask position `offset % 4`.
void apply_mask(std::uint8_t* data, std::size_t len, const std::uint8_t mask[4], std::size_t offset);

// True if s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s);

// Receives what FrameReader decodes. Calls happen inside FrameReader::feed.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // A whole text or binary message (fragments already joined, text already UTF-8 checked).
  virtual void on_message(Opcode op, std::string_view payload) = 0;
  // A ping, pong or close frame. For close, payload is the raw body (code + reason).
  virtual void on_control(Opcode op, std::string_view payload) = 0;
  // A whole compressed message (RSV1, deflate enabled), its DEFLATE bytes as sent. Return true
  // to take it as it is (the sink inflates, or knows these bytes already); false (the default)
  // makes the reader inflate it, check it and call on_message.
  virtual bool on_deflated_message(Opcode op, std::string_view deflated) { return false; }
};

// Why a stream was rejected: the close code to send and a short reason.
struct FrameError {
  CloseCode code = CloseCode::protocol_error;
  std::string_view reason;
};

// Turns bytes into messages. Owner-thread-only (one per connection).
// With permessage-deflate enabled, RSV1 is allowed on the first frame of a text or binary
// message (never on control or continuation frames) and marks the whole message compressed:
// it is inflated with this thread's Inflater (no context takeover: each message on its own)
// with max_message_size as the limit on the inflated size (over it: 1009; bad DEFLATE bytes:
// 1007), then UTF-8 checked if text. The compressed size is held to the same limit.
class FrameReader {
 public:
  // expect_masked: true on a server (client frames must be masked), false on a client.
  FrameReader(std::size_t max_message_size, bool expect_masked)
      : max_message_(max_message_size), expect_masked_(expect_masked) {}

  // Consumes all of data (which the reader may unmask in place) and calls sink for each
  // complete message. Returns false on a protocol violation, with the reason in error();
  // the reader must not be fed again after that. Bytes of an incomplete frame are kept.
  bool feed(std::uint8_t* data, std::size_t len, FrameSink& sink);
  // Accepts compressed messages from now on (permessage-deflate was negotiated).
  void enable_deflate() { deflate_ = true; }

  const FrameError& error() const { return error_; }
  // True after a close frame was delivered: later bytes are ignored.
  bool closed() const { return closed_; }
  // True after feed() returned false.
  bool failed() const { return failed_; }
  // Bytes held between calls (partial frame + unfinished fragmented message).
  std::size_t buffered() const { return pending_.size() + message_.size(); }

 private:
  // Decodes as many whole frames as data holds; returns bytes consumed or -1 on error.
  long consume(std::uint8_t* data, std::size_t len, FrameSink& sink);
  bool on_frame(bool fin, bool rsv1, Opcode op, std::string_view payload, FrameSink& sink);
  bool deliver(Opcode op, std::string_view payload, bool deflated, FrameSink& sink);
  bool fail(CloseCode code, std::string_view reason);

  std::size_t max_message_;
  bool expect_masked_;
  bool closed_ = false;
  bool failed_ = false;
  bool in_message_ = false;  // a fragmented message is being assembled
  bool deflate_ = false;     // permessage-deflate negotiated: RSV1 allowed
  bool message_deflated_ = false;  // the message being assembled had RSV1
  Opcode message_op_ = Opcode::text;
  std::string pending_;  // bytes of a frame not yet complete
  std::string message_;  // fragments of the current message so far
  FrameError error_;
};

}  // namespace cohort::net::ws
