// log_clip.hpp — a client-supplied string (a topic, an event, a reason) made safe for a log line.
//
// Owns: one rule for every crash and error line that quotes what a client sent: at most
// kLogClipBytes bytes of it (cut on a UTF-8 boundary, then "...(N bytes)" saying how long it
// was), with control characters written as \xNN, so a client can neither grow the log by
// megabytes per line nor start a forged line of its own with a newline. It must never be used
// for the node's own messages that operators need whole (start-up errors, paths).
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace cohort::net {

inline constexpr std::size_t kLogClipBytes = 200;

inline std::string log_clip(std::string_view text, std::size_t max = kLogClipBytes) {
  std::size_t keep = text.size();
  if (keep > max) {
    keep = max;
    // Do not end inside a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  }
  std::string out;
  out.reserve(keep + 24);
  for (unsigned char c : text.substr(0, keep)) {
    if (c < 0x20 || c == 0x7F) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (keep < text.size()) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace cohort::net
