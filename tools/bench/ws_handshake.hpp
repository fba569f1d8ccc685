// ws_handshake.hpp — the client half of the RFC 6455 opening handshake, written and checked by hand.
//
// The request is one fixed-shape GET; the response head is accepted only with status 101 and a
// Sec-WebSocket-Accept that matches the key. Anything else is a refusal, reported with the
// status line so that "403 Forbidden" or "503" reach the user as they are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ws_url.hpp"

namespace cohort::bench {

// A Sec-WebSocket-Key: base64 of 16 bytes taken from two random words.
std::string make_ws_key(std::uint64_t a, std::uint64_t b);

// The Sec-WebSocket-Accept that answers key (RFC 6455 4.2.2: base64 of SHA-1 of key + GUID).
std::string websocket_accept(std::string_view key);

// The HTTP/1.1 upgrade request for target, offering key (and permessage-deflate when
// target.offer_deflate, with the offer browsers send: "permessage-deflate; client_max_window_bits"),
// and target.cookie as the Cookie header when it has one.
std::string upgrade_request(const WsTarget& target, std::string_view key);

enum class HeadStatus { incomplete, upgraded, refused };

// Looks at the bytes received so far. On upgraded, head_len is the length of the response head
// (bytes after it are already WebSocket frames) and deflate (if given) whether the server
// accepted permessage-deflate. An extension the client did not offer, or a deflate response
// with parameters this client cannot honour, is a refusal. On refused, why says what came back.
HeadStatus check_upgrade_response(std::string_view bytes, std::string_view key, std::size_t& head_len,
                                  std::string& why, bool offered_deflate = false, bool* deflate = nullptr);

// Largest response head accepted before the server is declared broken.
inline constexpr std::size_t kMaxResponseHead = 16 * 1024;

}  // namespace cohort::bench
