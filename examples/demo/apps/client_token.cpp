// client_token.cpp — GET /api/client-token: see client_token.hpp.
#include "apps/client_token.hpp"

#include <algorithm>
#include <ctime>

#include "cohort/live.hpp"
#include "cohort/node.hpp"

namespace cohort::apps {

namespace {

HttpResponse refusal(unsigned status, std::string_view why) {
  HttpResponse r = HttpResponse::json(status, JsonObject{{"error", why}});
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// The token's claims: who the visitor is, from the signed identity only.
JsonObject claims_of(const JsonObject& user) {
  JsonObject claims{{"sub", user.at("id")}};
  if (const Json* name = user.if_contains("name"); name && name->is_string()) claims["name"] = *name;
  if (const Json* roles = user.if_contains("roles"); roles && roles->is_array()) claims["roles"] = *roles;
  return claims;
}

}  // namespace

void install_client_token(Node& node, live::Live& live) {
  node.route("GET", "/api/client-token", [&node, &live](const HttpRequest& req) {
    if (!node.same_origin(req)) return refusal(403, "only this site's own pages may ask for a client token");
    live::PageIdentity who = live.identity(req);
    if (who.answer) return std::move(*who.answer);
    std::int64_t ttl = kTokenTtl.count();
    if (who.roles_until > 0) ttl = std::clamp<std::int64_t>(who.roles_until - std::time(nullptr), 1, ttl);
    std::string token = node.issue_token(claims_of(who.user), std::chrono::seconds(ttl));
    HttpResponse r = HttpResponse::json(200, JsonObject{{"token", token}, {"expires_in", ttl}});
    r.headers.emplace_back("Cache-Control", "no-store");
    if (!who.set_cookie.empty()) r.headers.emplace_back("Set-Cookie", who.set_cookie);
    return r;
  });
}

}  // namespace cohort::apps
