// signin.cpp — GET and POST /signin: see signin.hpp.
#include "live/signin.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "live/page.hpp"
#include "net/query.hpp"

namespace cohort::live {

namespace {

constexpr std::size_t kMaxPath = 2048;

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

HttpResponse refusal(std::string_view why) {
  return html_response(403, simple_page("Sign-in link not valid",
                                        "<p id=\"signin-error\">This sign-in link cannot be used: " + escape_attr(why) +
                                            ". Ask for a new one.</p>"));
}

std::string roles_text(const std::vector<std::string>& roles) {
  std::string out;
  for (const auto& r : roles) out += (out.empty() ? "" : ", ") + r;
  return out;
}

std::string minutes_left(std::int64_t until) {
  std::int64_t m = std::max<std::int64_t>(1, (until - now_unix() + 59) / 60);
  return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

std::string hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" + escape_attr(value) + "\">";
}

// GET: what the link grants, and the button that uses it.
HttpResponse confirm_page(const HttpRequest& req, const TokenSigner& signer, const auth::GrantLedger& grants,
                          const SigninSettings& settings) {
  std::string grant = req.query_param("grant").value_or("");
  std::string then = safe_local_path(req.query_param("then").value_or("/")).value_or("/");
  auto checked = grants.check(signer, grant, now_unix());
  if (!checked.error.empty()) return refusal(checked.error);
  Visitor visitor = visitor_of(req, signer, settings.secure_cookies, settings.new_visitor);
  const Json* id = visitor.user.if_contains("id");
  std::string csrf = csrf_token(signer, id && id->is_string() ? std::string_view(id->get_string()) : "");
  std::string roles = roles_text(checked.roles);
  std::string body = "<p>This link makes you <strong id=\"signin-roles\">" + escape_attr(roles) +
                     "</strong> in this browser. It works once, within the next " + minutes_left(checked.expires) +
                     ".</p>\n<form method=\"post\" action=\"/signin\">" + hidden("grant", grant) + hidden("then", then) +
                     hidden("_csrf_token", csrf) + "<button type=\"submit\" id=\"signin\">Sign in as " +
                     escape_attr(roles) + "</button></form>";
  HttpResponse r = html_response(200, simple_page("Sign in", body));
  r.headers.emplace_back("Referrer-Policy", "no-referrer");  // the grant is in this page's URL
  if (!visitor.set_cookie.empty()) r.headers.emplace_back("Set-Cookie", visitor.set_cookie);
  return r;
}

std::string form_field(const net::ParsedQuery& form, std::string_view name) {
  for (const auto& p : form.params)
    if (p.key == name) return p.value;
  return {};
}

// POST: redeems the grant for the visitor whose cookie and CSRF token came with the form.
HttpResponse redeem(const HttpRequest& req, const TokenSigner& signer, auth::GrantLedger& grants,
                    const SigninSettings& settings) {
  auto form = net::parse_query(req.body);
  if (form.error) return refusal("the form was not sent as a form");
  Visitor visitor = visitor_of(req, signer, settings.secure_cookies, settings.new_visitor);
  const Json* id = visitor.user.if_contains("id");
  std::string_view user_id = id && id->is_string() ? std::string_view(id->get_string()) : "";
  // Without the cookie the GET set (another site's form: SameSite=Lax keeps it back; or cookies
  // blocked) there is no visitor to bind the roles to, and the token would not match anyway.
  if (!visitor.from_cookie || !csrf_matches(signer, user_id, form_field(form, "_csrf_token")))
    return refusal("the sign-in form is stale or came from another site (open the link again in this browser)");
  auto redeemed = grants.redeem(signer, form_field(form, "grant"), now_unix());
  if (!redeemed.error.empty()) return refusal(redeemed.error);
  json::array roles;
  if (const Json* have = visitor.user.if_contains("roles"); have && have->is_array()) roles = have->get_array();
  for (const auto& r : redeemed.roles)
    if (std::find(roles.begin(), roles.end(), Json(r)) == roles.end()) roles.emplace_back(r);
  visitor.user["roles"] = std::move(roles);
  HttpResponse r = html_response(303, "");
  r.headers.emplace_back("Location", safe_local_path(form_field(form, "then")).value_or("/"));
  r.headers.emplace_back("Set-Cookie",
                         user_cookie(visitor.user, now_unix() + settings.role_ttl.count(), signer, settings.secure_cookies));
  return r;
}

}  // namespace

std::optional<std::string> safe_local_path(std::string_view then) {
  if (then.empty() || then.size() > kMaxPath || then[0] != '/') return std::nullopt;
  if (then.size() > 1 && (then[1] == '/' || then[1] == '\\')) return std::nullopt;
  for (char c : then)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return std::nullopt;
  return std::string(then);
}

std::string signin_link(std::string_view grant, std::string_view then) {
  std::string link = "/signin?grant=" + std::string(grant);  // base64url and '.': nothing to escape
  auto path = safe_local_path(then);
  if (!path || *path == "/") return link;
  std::string escaped;  // then's own '&', '#', '%' and spaces must not end the parameter
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : *path) {
    if (std::isalnum(c) || std::string_view("/-._~:@!$'()*,;=").find(static_cast<char>(c)) != std::string_view::npos) {
      escaped.push_back(static_cast<char>(c));
    } else {
      escaped.push_back('%');
      escaped.push_back(kHex[c >> 4]);
      escaped.push_back(kHex[c & 15]);
    }
  }
  return link + "&then=" + escaped;
}

void install_signin(cohort::Node& node, auth::GrantLedger& grants, SigninSettings settings) {
  const TokenSigner& signer = node.signer();
  node.route("GET", "/signin", [&signer, &grants, settings](const HttpRequest& req) {
    return confirm_page(req, signer, grants, settings);
  });
  node.route("POST", "/signin", [&signer, &grants, settings](const HttpRequest& req) {
    return redeem(req, signer, grants, settings);
  });
}

}  // namespace cohort::live
