// page.hpp — the HTML page of a live view (the "dead render") and who the browser is.
//
// Owns: the GET answer for a view's path: the view mounted disconnected (stores read once),
// rendered to HTML inside the root container that phoenix_live_view joins
// (id, data-phx-main, a signed data-phx-session), the csrf meta tag, the <title>, and the
// script tags of the phoenix and phoenix_live_view bundles (served from their npm packages)
// plus Cohort's bootstrap (static/assets/cohort_live.js). The nested views the page places are
// mounted disconnected too and their HTML put in their containers, as Phoenix's first HTML
// holds them (a child that cannot mount or render keeps its container empty until it joins).
// Identity: a browser without a valid "cohort_user" cookie (a token of kind visitor, HttpOnly,
// SameSite=Lax, Secure with TLS, one year) gets one: a signed {id, name, color} made up on the
// spot (the demo apps show people by name and colour). A sign-in (signin.hpp) adds roles with
// their own expiry ("roles_exp"): past it the roles are dropped and the visitor keeps their id.
// The live session token (kind session) embeds that user and the view id, and expires with the
// session TTL or with the roles, whichever comes first. A page served on the admin listener
// says so in its session ("listener": "admin"), and the live join takes a session only on a
// socket of the listener that issued it (listener_matches), so the operator's session of an
// admin-listener page cannot be replayed on the main port.
// CSRF: the meta tag's token is tag("csrf", visitor id) under the node's secret; the live join
// (live_channel.hpp) and the sign-in form check it in constant time against the visitor the
// session or cookie names, so a token from another visitor's page is refused.
// Threads: runs on the reactor of the HTTP session; answers asynchronously when the view
// follows stores.
#pragma once

#include <cstdint>
#include <string>

#include "cohort/node.hpp"
#include "live/view_instance.hpp"

namespace cohort::live {

// The user claims of a request's cookie, or a new user with the Set-Cookie header to send.
struct Visitor {
  JsonObject user;             // {"id", "name", "color", "roles"?}: roles only while they last
  std::int64_t roles_exp = 0;  // when the roles end (Unix seconds); 0 without roles
  std::string set_cookie;      // "" when the cookie was valid and unchanged
  bool from_cookie = false;    // the request's cookie named this visitor (else: made up now)
};
// secure: add the Secure attribute to a cookie issued now (the node serves TLS).
// fill: the app's new_visitor hook (may be empty), for a visitor made up now.
Visitor visitor_of(const HttpRequest& request, const TokenSigner& signer, bool secure, const NewVisitorHook& fill);
// Who request's visitor is to the app of registry (Live::identity): visitor_of, then the
// app's identify hook; a hook's user without a string "id" is answered 500 (and logged).
PageIdentity identity_of(const HttpRequest& request, const TokenSigner& signer, const Registry& registry);
// The Set-Cookie value holding user (signed, kind visitor; roles until roles_exp).
std::string user_cookie(const JsonObject& user, std::int64_t roles_exp, const TokenSigner& signer, bool secure);

// The session claim, and the /live socket assign, naming the admin listener.
inline constexpr std::string_view kListenerClaim = "listener";
inline constexpr std::string_view kAdminListener = "admin";
// Whether a session's claims were issued on the listener a socket with these assigns came in on.
bool listener_matches(const JsonObject& session_claims, const JsonObject& socket_assigns);

// The CSRF token of a visitor (user id), and its constant-time check.
std::string csrf_token(const TokenSigner& signer, std::string_view user_id);
bool csrf_matches(const TokenSigner& signer, std::string_view user_id, std::string_view candidate);

// A minimal HTML page (sign-in, errors) in the site's style. body is HTML.
std::string simple_page(std::string_view title, std::string_view body);
HttpResponse html_response(unsigned status, std::string body);

// The page's first HTML: each nested view a disconnected render placed
// (ViewInstance::take_unrendered_children) mounted disconnected and rendered into its container
// within html, theirs in turn; then done(html) — at once without children, else on the reactor
// once the last has rendered. A child that cannot mount or render keeps its container empty.
void fill_nested_views(Services services, std::vector<ViewInstance::UnrenderedChild> children, std::string html,
                       std::function<void(std::string html)> done);

// Serves GET requests for the views of registry (one route per view path prefix).
void install_pages(cohort::Node& node, Services services);

// The vendor bundles: GET /assets/vendor/phoenix.min.js and phoenix_live_view.min.js, read at
// install from assets_dir (node_modules); returns an error naming a missing one. Also, when
// present, the ES modules of a page without a bundler: /assets/vendor/phoenix.mjs,
// fast-json-patch/{index,module/*}.mjs and cohort-client/index.js (assets_dir/../clients/js).
std::optional<std::string> install_vendor_assets(cohort::Node& node, const std::string& assets_dir);

// The app's layout template (PageLayout::template_name) rendered around a page: title (with its
// suffix) as {{title}}, head and main as {{{head}}} and {{{main}}}.
std::string render_layout(const Template& layout, std::string_view title, std::string_view head, std::string_view main);
// Why layout cannot be a page's layout (it does not print head and main once each), or nothing.
std::optional<std::string> check_layout(const Template& layout);

// Escapes text for an HTML attribute or text node.
std::string escape_attr(std::string_view text);

}  // namespace cohort::live
