// security_headers.cpp — the default response headers: see security_headers.hpp.
#include "net/security_headers.hpp"

#include <algorithm>
#include <cctype>

namespace cohort::net {

namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string content_security_policy(const OriginPolicy& policy, std::string_view host, std::string_view scripts) {
  std::string connect = "'self'";
  if (!host.empty()) connect += " " + policy.websocket_sources(host);
  std::string script = "'self'";
  if (!scripts.empty()) script += " " + std::string(scripts);
  return "default-src 'self'; script-src " + script + "; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
         "connect-src " + connect + "; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
         "object-src 'none'";
}

}  // namespace

void add_security_headers(HttpResponse& response, const OriginPolicy& policy, std::string_view host,
                          std::string_view script_sources) {
  auto add = [&](std::string_view name, auto&& value) {
    for (const auto& [have, _] : response.headers)
      if (same_name(have, name)) return;
    response.headers.emplace_back(std::string(name), value());
  };
  add("Content-Security-Policy", [&] { return content_security_policy(policy, host, script_sources); });
  add("X-Content-Type-Options", [] { return std::string("nosniff"); });
  add("X-Frame-Options", [] { return std::string("DENY"); });
  add("Referrer-Policy", [] { return std::string("strict-origin-when-cross-origin"); });
}

}  // namespace cohort::net
