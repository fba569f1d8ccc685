// cohort/token.hpp — signed claims: who someone is and what roles they hold, as a string.
//
//   TokenSigner signer(secret);                       // >= kMinSecretBytes
//   std::string t = signer.sign(TokenKind::socket, {{"sub", "alice"}, {"roles", {"editor"}}},
//                               std::chrono::hours(1));
//   auto v = signer.verify(t, TokenKind::socket);     // v.claims: set when valid
//   Actor who = Actor::from_claims(*v.claims);
//
// Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first part)), no padding.
// Every token carries "kind" (what it is for, a TokenKind name) and "exp" (expiry, Unix
// seconds); Cohort also reads "sub" (the actor id) and "roles" (an array of role names).
// verify() accepts a token only if its MAC matches (compared in constant time), its kind is
// the one the caller expects and "exp" is present and in the future. So roles come from the
// server that signed them, never from what a client asserts, and a token minted for one purpose
// (a sign-in grant, say) is never accepted for another (a live session, an API call).
// Threads: a TokenSigner is immutable after construction; use it from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/json.hpp"

namespace cohort {

// A node refuses to start with a shorter secret: HMAC-SHA256's key should carry 256 bits.
inline constexpr std::size_t kMinSecretBytes = 32;

// What a token is for. Its wire name is the "kind" claim.
enum class TokenKind {
  session,  // "session": a live page's session (data-phx-session), checked at the live join
  visitor,  // "visitor": the browser's identity cookie (id, name, colour, roles while they last)
  grant,    // "grant": a single-use sign-in link's roles (/signin?grant=...)
  api,      // "api": an HTTP API credential (Authorization: Bearer), e.g. roles publish, metrics
  socket,   // "socket": a channel join's credential (the "token" param of store:* topics)
  app,      // "app": what an app signs for itself (its own sign-in cookie); Cohort never accepts it
  flash,    // "flash": a live page's flash messages carried across a navigation (a minute at most)
  upload,   // "upload": one live upload entry's right to send its file (the lvu:<ref> join)
  longpoll, // "longpoll": names a LongPoll session and the node and reactor that hold it
};
std::string_view kind_name(TokenKind kind);
std::optional<TokenKind> kind_from_name(std::string_view name);

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

  // A token of kind holding claims, valid for ttl (or until exp_unix): "kind" and "exp" are set
  // here, replacing any the claims had.
  std::string sign(TokenKind kind, JsonObject claims, std::chrono::seconds ttl) const;
  std::string sign_until(TokenKind kind, JsonObject claims, std::int64_t exp_unix) const;

  struct Verified {
    std::optional<JsonObject> claims;  // set when the token is valid
    // Otherwise one of: "malformed", "bad signature", "no expiry", "expired", "wrong kind".
    std::string error;
  };
  Verified verify(std::string_view token, TokenKind expected, std::int64_t now_unix) const;
  Verified verify(std::string_view token, TokenKind expected) const;  // against the current time

  // A value bound to this secret: base64url(HMAC-SHA256(secret, purpose NUL value)). No client
  // can compute it; the same (purpose, value) always gives the same tag (CSRF tokens).
  std::string tag(std::string_view purpose, std::string_view value) const;
  // Whether candidate is tag(purpose, value), compared in constant time.
  bool check_tag(std::string_view purpose, std::string_view value, std::string_view candidate) const;

 private:
  std::string mac(std::string_view data) const;
  std::string secret_;
};

// Constant-time equality of two strings (the time depends on the lengths only).
bool equal_secrets(std::string_view a, std::string_view b);

}  // namespace cohort
