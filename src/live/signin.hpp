// signin.hpp — sign-in links: how a browser gets roles (a quiz moderator) without accounts.
//
// Owns: GET /signin?grant=<token>&then=<path>, which changes nothing: it checks the grant and
// answers a page with a form that says what the link grants; POST /signin (that form: grant,
// then, _csrf_token), which redeems the grant (single use, see auth/grants.hpp), adds its roles
// to the visitor's cookie until Config::role_ttl_s, and answers 303 to then. Because only the
// POST changes state, a link preview or a prefetch that GETs the link neither uses it up nor
// signs anyone in; the POST needs the visitor's own cookie (SameSite=Lax: not sent by another
// site's form) and the CSRF token bound to that visitor, so another site cannot sign a visitor
// in either. Redirect targets are local paths only (safe_local_path); anything else lands on
// "/". Refusals are 403 pages saying why. Never shows or logs the grant's signature.
// Threads: handlers run on the reactor of the HTTP session; the ledger is thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "auth/grants.hpp"
#include "cohort/live.hpp"
#include "cohort/node.hpp"

namespace cohort::live {

struct SigninSettings {
  std::chrono::seconds role_ttl{12 * 3600};
  bool secure_cookies = false;  // the node serves TLS
  NewVisitorHook new_visitor;   // Live::new_visitor, for a visitor first seen at sign-in
};

void install_signin(cohort::Node& node, auth::GrantLedger& grants, SigninSettings settings);

// "/signin?grant=<token>[&then=<path>]" for a grant (then must be a safe local path, else "/").
std::string signin_link(std::string_view grant, std::string_view then);

// then, if it is a same-origin path: starts with one '/', not "//" or "/\", and holds no
// backslash, no control character (CR, LF, TAB: browsers drop tabs and newlines from URLs, so
// "/\t/evil" would become "//evil") and no more than 2,048 bytes. nullopt otherwise.
std::optional<std::string> safe_local_path(std::string_view then);

}  // namespace cohort::live
