// api_auth.hpp — who may call the node's HTTP API: `Authorization: Bearer <api token>`.
//
// Owns: the check at the top of every credential-protected route (POST /api/broadcast, GET
// /metrics on the main port): the token must verify as kind "api" with the node's secret, not
// be expired, carry the route's role in "roles" and, for a topic, match one of the optional
// "topics" patterns ("room:lobby" exactly, "room:*" any topic starting with "room:"; no
// "topics" claim = every topic). A missing or invalid token is a 401 with a JSON error and a
// WWW-Authenticate header (RFC 6750); a valid token without the role or topic is a 403. Never
// echoes the token. Pure; any thread.
#pragma once

#include <optional>
#include <string_view>

#include "cohort/http.hpp"
#include "cohort/token.hpp"

namespace cohort::auth {

// nullopt when the request may go on; otherwise the response that refuses it.
std::optional<HttpResponse> refuse_api_call(const HttpRequest& request, const TokenSigner& signer,
                                            std::string_view role, std::optional<std::string_view> topic = {});

// Whether a "topics" pattern list (absent: any) allows topic.
bool topic_allowed(const Json* patterns, std::string_view topic);

// Whether text is a valid pattern: non-empty, '*' only as its last character.
bool valid_topic_pattern(std::string_view pattern);

}  // namespace cohort::auth
