// page.hpp — the HTML page of a live view (the "dead render") and who the browser is.
//
// Owns: the GET answer for a view's path: the view mounted disconnected (stores read once),
// rendered to HTML inside the root container that phoenix_live_view joins
// (id, data-phx-main, a signed data-phx-session), the csrf meta tag the stock client requires,
// the <title>, and the script tags of the phoenix and phoenix_live_view bundles (served from
// their npm packages) plus Cohort's bootstrap (static/assets/cohort_live.js).
// Identity: a browser without a valid "cohort_user" cookie gets one: a signed {id, name, color}
// made up on the spot (the demo apps show people by name and colour); sign-in pages may issue
// one with roles. The live session token embeds that user, the view id and an expiry.
// The csrf token is a random value the client echoes; Cohort authenticates the live socket by
// the signed session instead (a page of another origin cannot read it).
// Threads: runs on the reactor of the HTTP session; answers asynchronously when the view
// follows stores.
#pragma once

#include <string>

#include "cohort/node.hpp"
#include "live/view_instance.hpp"

namespace cohort::live {

// The user claims of a request's cookie, or a new user with the Set-Cookie header to send.
struct Visitor {
  JsonObject user;          // {"id", "name", "color", "roles"?}
  std::string set_cookie;   // "" when the cookie was valid
};
Visitor visitor_of(const HttpRequest& request, const TokenSigner& signer);
// A Set-Cookie value holding user (signed), for sign-in pages.
std::string user_cookie(const JsonObject& user, const TokenSigner& signer);

// GET /signin?grant=<token>&then=<path>: adds the grant's roles to the visitor's cookie and
// redirects to then (a local path). A bad or expired grant is a 403 page saying so.
void install_signin(cohort::Node& node);
std::string signin_link(const TokenSigner& signer, const std::vector<std::string>& roles, std::chrono::seconds ttl,
                        std::string_view then);

// Serves GET requests for the views of registry (one route per view path prefix).
void install_pages(cohort::Node& node, Services services);

// The vendor bundles: GET /assets/vendor/phoenix.min.js and phoenix_live_view.min.js, read at
// install from assets_dir (node_modules). Returns an error naming a missing file.
std::optional<std::string> install_vendor_assets(cohort::Node& node, const std::string& assets_dir);

// Escapes text for an HTML attribute or text node.
std::string escape_attr(std::string_view text);

}  // namespace cohort::live
