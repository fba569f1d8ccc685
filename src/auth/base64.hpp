// base64.hpp — base64 without padding, as tokens and subprotocol values carry it.
//
// encode_url writes the url-safe alphabet (RFC 4648 section 5) without '='. decode accepts both
// alphabets ('+' '/' and '-' '_'), with or without trailing '=' padding, and refuses anything
// that is not base64 (a stray character, a length no encoding produces). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cohort::auth {

std::string encode_url(std::string_view bytes);
std::optional<std::string> decode(std::string_view text);

}  // namespace cohort::auth
