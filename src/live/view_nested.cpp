// view_nested.cpp — the containers of a view's nested live views ({{%name path}} in its template,
// Live::child_view).
//
// Owns: what a parent's render writes where a child view goes: an empty element the official
// client joins as its own view —
//   <div id="<id>" data-phx-session="<token>" data-phx-static="" data-phx-parent-id="<parent>">
// The token is a session token (TokenKind::session) signed here, naming the child's id, its view
// name, the parent's id and visitor and the session the parent gave it, expiring with the
// parent's own session; the lv: join of the child trusts nothing else (live_channel.cpp). A
// container is made once per id and props, so a parent's later renders send nothing for an
// unchanged child. It must never place a child whose id the client could confuse with another
// element's: ids are checked (letters, digits, '-', '_', at most 64), and props that do not
// name one render nothing. In a disconnected render (the page's first HTML) each container made
// is also noted, with the child's verified claims, for page.cpp to mount the child and put its
// HTML inside, as Phoenix's first HTML holds a nested view's content; connected, the container
// stays empty and the child renders once it has joined.
#include <boost/json/serialize.hpp>
#include <chrono>

#include "live/page.hpp"
#include "live/rendering.hpp"
#include "live/view_instance.hpp"

namespace cohort::live {

namespace {

constexpr std::size_t kMaxChildId = 64;
constexpr std::string_view kCloseDiv = "</div>";

bool valid_child_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxChildId) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

const Json* prop(const Json& props, std::string_view name) {
  return props.is_object() ? props.get_object().if_contains(name) : nullptr;
}

}  // namespace

// A disconnected render's child, for the page's first HTML to hold its content (page.cpp): its
// claims are read back from the token just signed, so they are exactly what its join would see.
void ViewInstance::note_unrendered(std::string_view name, std::string id, const Json* given, const std::string& token,
                                   const std::string& html) {
  auto route = services_.registry.child_views.find(name);
  if (route == services_.registry.child_views.end()) return;  // its join answers not_found
  auto verified = services_.registry.signer->verify(token, TokenKind::session);
  if (!verified.claims) return;
  Params params = given && given->is_object() ? given->get_object() : Params{};
  unrendered_children_.push_back(UnrenderedChild{std::move(id), &route->second, std::move(*verified.claims),
                                                 std::move(params), html.substr(0, html.size() - kCloseDiv.size())});
}

std::string ViewInstance::nest(std::string_view name, const Json& props) {
  const Json* id = prop(props, "id");
  if (!id || !id->is_string() || !valid_child_id(id->get_string()))
    throw std::runtime_error("nested view '" + std::string(name) + "' placed without a valid \"id\" in its props");
  std::string key = std::string(name) + '\x1f' + json::serialize(props);
  auto& container = nested_[std::string(id->get_string())];
  if (container.props == key) return container.html;
  const Json* session = prop(props, "session");
  const Json* user = session_.if_contains("user");
  JsonObject claims{{"id", id->get_string()},
                    {"view", name},
                    {"parent", id_},
                    {"user", user ? *user : Json(JsonObject{})},
                    {"session", session && session->is_object() ? *session : Json(JsonObject{})}};
  if (const Json* listener = session_.if_contains(kListenerClaim)) claims[kListenerClaim] = *listener;
  const Json* exp = session_.if_contains("exp");
  const TokenSigner& signer = *services_.registry.signer;
  std::string token = exp && exp->is_int64()
                          ? signer.sign_until(TokenKind::session, std::move(claims), exp->get_int64())
                          : signer.sign(TokenKind::session, std::move(claims), services_.registry.session_ttl);
  const Json* css = prop(props, "class");
  std::string html = "<div id=\"" + std::string(id->get_string()) + "\" data-phx-session=\"" + escape_html(token) +
                     "\" data-phx-static=\"\" data-phx-parent-id=\"" + escape_html(id_) + "\"";
  if (css && css->is_string()) html += " class=\"" + escape_html(css->get_string()) + "\"";
  html += "></div>";
  container = NestedContainer{std::move(key), std::move(html)};
  if (!channel_) note_unrendered(name, std::string(id->get_string()), session, token, container.html);
  return container.html;
}

}  // namespace cohort::live
