// client_token.hpp — GET /api/client-token: a socket token for the page's own visitor, so a
// plain JavaScript page (static/js-counter.html, on @cohort/client) follows stores as the same
// person its live pages know.
//
// Answers {"token", "expires_in"} (seconds) with Cache-Control: no-store: a token of kind
// socket signed by the node for who Live::identity says the visitor is (the signed visitor
// cookie; a browser without one becomes a new visitor and gets its cookie with the answer):
// "sub" their id, "name" their name, "roles" their roles, for kTokenTtl or until their roles
// end, whichever comes first. Refuses a request whose Origin is another site (403): the token is
// a bearer credential, and only the node's own pages may ask for one (docs/security.md, "Tokens
// for JavaScript clients").
#pragma once

#include <chrono>

namespace cohort {
class Node;
namespace live {
class Live;
}
}  // namespace cohort

namespace cohort::apps {

// Short: a page asks for a fresh one before it runs out (static/assets/js_counter.js).
inline constexpr std::chrono::seconds kTokenTtl{600};

void install_client_token(Node& node, live::Live& live);

}  // namespace cohort::apps
