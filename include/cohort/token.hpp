// cohort/token.hpp — signed claims: who someone is and what roles they hold, as a string.
//
// Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first part)), no padding.
// Claims are whatever the issuer puts in (Cohort reads "sub": the actor id, "roles": an array
// of role names, "exp": expiry in Unix seconds). verify() accepts a token only if its MAC
// matches (compared in constant time) and "exp", when present, is in the future; so roles come
// from the server that signed them, never from what a client asserts.
// Threads: a TokenSigner is immutable after construction; use it from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/json.hpp"

namespace cohort {

// Who performs an operation, from verified claims only.
struct Actor {
  std::string id;                  // "" for an anonymous client
  std::vector<std::string> roles;  // e.g. {"editor"}; "owner" is added per store by the store
  std::string name{};              // display name (claim "name"), what others are shown; may be ""
  bool has_role(std::string_view role) const {
    for (const auto& r : roles)
      if (r == role) return true;
    return false;
  }
  static Actor from_claims(const JsonObject& claims);
};

class TokenSigner {
 public:
  explicit TokenSigner(std::string secret) : secret_(std::move(secret)) {}

  std::string sign(const JsonObject& claims) const;

  struct Verified {
    std::optional<JsonObject> claims;  // set when the token is valid
    std::string error;                 // "malformed", "bad signature" or "expired" otherwise
  };
  Verified verify(std::string_view token, std::int64_t now_unix) const;
  Verified verify(std::string_view token) const;  // against the current time

 private:
  std::string mac(std::string_view data) const;
  std::string secret_;
};

}  // namespace cohort
