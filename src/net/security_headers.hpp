// security_headers.hpp — the headers every HTTP answer of a node carries unless its handler set
// its own: Content-Security-Policy, X-Content-Type-Options, X-Frame-Options, Referrer-Policy.
//
// Owns: the policy text. The pages Cohort serves load only their own scripts and styles (no
// inline script: the page shell loads external files only, and must stay so); LiveView patches
// style attributes, hence style-src 'unsafe-inline'; the live socket is the node's own ws:// or
// wss:// origin (listed besides 'self', which older browsers do not extend to WebSockets).
// Framing is refused (clickjacking), and so are plugins, foreign <base> and foreign form
// targets. Pure function, any thread.
#pragma once

#include <string_view>

#include "cohort/http.hpp"
#include "net/origin_policy.hpp"

namespace cohort::net {

// Adds the headers response lacks (names compared case-insensitively). host: the request's
// Host header once it passed the Host check, else empty. script_sources: more script-src
// sources (a static page's import map hashes, net/static_files.hpp), or empty.
void add_security_headers(HttpResponse& response, const OriginPolicy& policy, std::string_view host,
                          std::string_view script_sources = {});

}  // namespace cohort::net
