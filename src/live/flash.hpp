// flash.hpp — a live page's flash messages ({kind: message}, e.g. {"info": "Poll created"}) and
// how they outlive the page that put them, as the official client carries them:
//   - push_navigate: the live_redirect carries a signed token ("flash"); the client joins the
//     next view with it as the join param "flash";
//   - redirect (a full page load): the redirect carries the token; the client stores it in the
//     cookie "__phoenix_flash__" for a minute; the next GET of a live page reads it, shows it in
//     the page and its session, and clears the cookie. A redirect the node answers itself (a
//     mount that redirects on the GET) sets that cookie on its 302.
// Tokens are of kind TokenKind::flash, signed with the node's secret, valid kFlashTtl: a flash
// no server put is never shown, and one cannot come back a minute later. Pure; any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "cohort/json.hpp"
#include "cohort/token.hpp"

namespace cohort::live {

inline constexpr std::string_view kFlashCookie = "__phoenix_flash__";
inline constexpr std::chrono::seconds kFlashTtl{60};

// The token carrying flash, or "" when it is empty.
std::string flash_token(const TokenSigner& signer, const JsonObject& flash);
// The flash a token carries; {} for a token that is missing, forged, expired or of another kind.
JsonObject flash_of(const TokenSigner& signer, std::string_view token);
// A Set-Cookie value holding token for the next page (or clearing the cookie when token is "").
std::string flash_cookie(std::string_view token, bool secure);

}  // namespace cohort::live
