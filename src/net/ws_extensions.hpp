// ws_extensions.hpp — the server's answer to a Sec-WebSocket-Extensions offer (RFC 7692 section 7).
//
// Owns: which permessage-deflate offer is accepted and the response header value. Cohort always
// answers with server_no_context_takeover (so one compressed broadcast frame is valid for every
// subscriber) and client_no_context_takeover (so one inflater per reactor serves every socket:
// no 32 KiB window per connection). RFC 7692 7.1.1.2 lets a server add the latter unasked.
// An offer is declined (the next one is tried) when it has an unknown or repeated parameter, a
// bad value, or server_max_window_bits below 15: a frame shared by all subscribers is
// compressed once, with one window size. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace cohort::net {

// The Sec-WebSocket-Extensions value to send back, or "" when no offer is acceptable (then the
// connection goes on uncompressed). offers is the request's header value (may list several).
std::string negotiate_permessage_deflate(std::string_view offers);

// The response Cohort sends when it accepts an offer.
inline constexpr std::string_view kDeflateResponse =
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

}  // namespace cohort::net
