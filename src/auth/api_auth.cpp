// api_auth.cpp — bearer API tokens with roles and topic patterns: see api_auth.hpp.
#include "auth/api_auth.hpp"

#include <cctype>

namespace cohort::auth {

namespace {

// The token of "Bearer <token>" (scheme case-insensitive), or "" when there is none.
std::string_view bearer_token(std::string_view header) {
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  return header;
}

HttpResponse unauthorized(std::string error, std::string_view challenge) {
  HttpResponse r = HttpResponse::json(401, JsonObject{{"error", error}});
  r.headers.emplace_back("WWW-Authenticate", std::string(challenge));
  return r;
}

bool has_role(const JsonObject& claims, std::string_view role) {
  const Json* roles = claims.if_contains("roles");
  if (!roles || !roles->is_array()) return false;
  for (const auto& r : roles->get_array())
    if (r.is_string() && r.get_string() == role) return true;
  return false;
}

}  // namespace

bool valid_topic_pattern(std::string_view pattern) {
  auto star = pattern.find('*');
  return !pattern.empty() && (star == std::string_view::npos || star == pattern.size() - 1);
}

bool topic_allowed(const Json* patterns, std::string_view topic) {
  if (!patterns) return true;
  if (!patterns->is_array()) return false;
  for (const auto& p : patterns->get_array()) {
    if (!p.is_string()) continue;
    std::string_view pattern = p.get_string();
    if (!valid_topic_pattern(pattern)) continue;
    if (pattern.back() == '*' ? topic.starts_with(pattern.substr(0, pattern.size() - 1)) : topic == pattern) return true;
  }
  return false;
}

std::optional<HttpResponse> refuse_api_call(const HttpRequest& request, const TokenSigner& signer,
                                            std::string_view role, std::optional<std::string_view> topic) {
  std::string_view token = bearer_token(request.authorization);
  if (token.empty())
    return unauthorized("this needs an API token: send Authorization: Bearer <token> (made by `cohort token --roles " +
                            std::string(role) + "`)",
                        "Bearer realm=\"cohort\"");
  auto verified = signer.verify(token, TokenKind::api);
  if (!verified.claims)
    return unauthorized("the API token is not valid (" + verified.error + ")",
                        "Bearer realm=\"cohort\", error=\"invalid_token\"");
  if (!has_role(*verified.claims, role))
    return HttpResponse::json(403, JsonObject{{"error", "the API token's roles do not include " + std::string(role)}});
  if (topic && !topic_allowed(verified.claims->if_contains("topics"), *topic))
    return HttpResponse::json(403, JsonObject{{"error", "the API token does not allow topic " + std::string(*topic)}});
  return std::nullopt;
}

}  // namespace cohort::auth
