// login.hpp — the board's own sign-in: a person picks the display name others will see, and a
// signed cookie keeps it. No accounts and no passwords: a name is who you say you are.
//
// GET /login shows the form; POST /login checks it and sets "kanban_session", a token of kind
// TokenKind::app signed with the node's secret: {sub: a random person id "p-<16 hex digits>",
// name, use: "kanban-signin"}, for 30 days (HttpOnly, SameSite=Lax, Secure under TLS), then
// sends the browser back to its board (303). GET / goes to the board "main".
//
// Forgery. GET /login also sets "kanban_login", a random nonce (HttpOnly, SameSite=Strict,
// Path=/login), and puts its tag, TokenSigner::tag("kanban-login", nonce), in the form. A POST
// is taken only with a nonce cookie whose tag the form carries: another site can neither read
// the cookie nor compute the tag, so it cannot sign a browser in under a name of its choosing
// (login CSRF). A POST without them is answered 403 and sets nothing.
// Names: 1–32 characters once trimmed, valid UTF-8, no control characters; another one is
// answered 400 with the form and why.
//
// signed_in() is the app's Live::identify hook: a page request with a valid cookie acts as that
// person ({id, name, color}); anything else (no cookie, a bad signature, a token of another kind
// such as Cohort's own visitor or session tokens, an expired one, a name the form would refuse)
// is answered 302 /login?then=/board/<id>, so a board page is never shown to nobody.
// Threads: the handlers run on the request's reactor thread and keep no state.
#pragma once

#include "cohort/http.hpp"
#include "cohort/live.hpp"
#include "cohort/token.hpp"

namespace cohort {
class Node;
}

namespace kanban {

// Adds GET /, GET /login and POST /login to node (before it starts).
void route_login(cohort::Node& node);

// Who a page request is (the Live::identify hook), or the redirect to /login.
cohort::live::Identity signed_in(const cohort::HttpRequest& request, const cohort::TokenSigner& signer);

}  // namespace kanban
