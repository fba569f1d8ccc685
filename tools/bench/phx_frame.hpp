// phx_frame.hpp — Phoenix V2 text frames as the bench sees them: scanned, never parsed into a DOM.
//
// A frame is `[join_ref, ref, topic, event, payload]`. At millions of frames per second a JSON
// parse per frame would cost more than the server's work, so incoming frames are only scanned:
// the four header elements are located and the payload is kept as raw text, from which single
// integer members (the bench's own "seq" and "t") are picked out with find_int_member.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cohort::bench {

struct PhxFrame {
  bool join_ref_null = true;
  bool ref_null = true;
  // String elements without their quotes, still JSON-escaped (refs and event names never need it).
  std::string_view join_ref, ref, topic, event;
  std::string_view payload;  // raw JSON text of the fifth element
  // Nonzero when the frame arrived compressed: a digest of its compressed bytes. Frames with
  // equal digests are the same bytes (see InflateCache), so their parse may be reused.
  std::uint64_t digest = 0;
};

// Locates the elements of text. Returns false when text is not a 5-element frame whose first
// four elements are strings or null.
bool scan_frame(std::string_view text, PhxFrame& out);

// The integer value of member `key` (given with its quotes, e.g. "\"seq\"") at its first
// occurrence in json, or nullopt. Correct for the bench's own flat payloads, not a general query.
std::optional<std::int64_t> find_int_member(std::string_view json, std::string_view quoted_key);

// The ref as a number (the bench's refs are decimal strings), or nullopt.
std::optional<std::uint64_t> ref_number(std::string_view ref);

// Whether a phx_reply payload says {"status":"ok"}. A full parse: for join replies, not hot paths.
// On false, why gets the payload text (for the error message).
bool reply_is_ok(std::string_view payload, std::string& why);

// The "status" of a phx_reply payload, found by scanning (hot path; the bench's own echo
// responses carry no member named "status").
std::string_view scan_reply_status(std::string_view payload);

// Appends the text of frame [join_ref, ref, topic, event, payload] to out; an empty join_ref
// or ref is written as null. payload must be JSON text.
void append_frame(std::string& out, std::string_view join_ref, std::string_view ref, std::string_view topic,
                  std::string_view event, std::string_view payload);

}  // namespace cohort::bench
