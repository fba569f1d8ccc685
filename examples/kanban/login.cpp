// login.cpp — the board's own sign-in. See login.hpp.
#include "login.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "board_store.hpp"
#include "cohort/live.hpp"
#include "cohort/node.hpp"
#include "cohort/input.hpp"

namespace kanban {

namespace {

namespace input = cohort::input;
using cohort::HttpRequest;
using cohort::HttpResponse;
using cohort::Json;
using cohort::JsonObject;
using cohort::TokenSigner;
using cohort::live::escape_html;

constexpr std::string_view kSessionCookie = "kanban_session";
constexpr std::string_view kNonceCookie = "kanban_login";
constexpr std::string_view kFormPurpose = "kanban-login";  // what the form's tag is bound to
constexpr std::string_view kUse = "kanban-signin";        // the "use" claim of the session token
constexpr std::chrono::seconds kSessionTtl{30 * 24 * 3600};
constexpr std::size_t kMaxName = 32;  // characters
constexpr std::string_view kMainBoard = "/board/main";

std::string random_hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;  // the kernel's generator (getrandom)
  std::string out;
  for (std::size_t i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(random()) & 0xff;
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// What is wrong with a display name (already trimmed), for people; nullopt when nothing is.
std::optional<std::string> name_problem(std::string_view name) {
  auto length = input::utf8_length(name);
  if (!length) return "That name is not valid text.";
  if (*length == 0) return "Pick a name: it is what others on the board see.";
  if (*length > kMaxName) return "A name is at most " + std::to_string(kMaxName) + " characters.";
  if (input::has_control(name)) return "A name is one line of text.";
  return std::nullopt;
}

// "/board/<id>" for a valid board id, or the main board: where a sign-in may send a browser back
// to (never another site, never anything but a board).
std::string board_path(std::string_view then) {
  constexpr std::string_view prefix = "/board/";
  if (then.starts_with(prefix) && valid_board_id(then.substr(prefix.size()))) return std::string(then);
  return std::string(kMainBoard);
}

// A person's colour in the "here" strip, the same for the same id: well apart, readable on white.
std::string color_of(std::string_view id) {
  static constexpr std::string_view kColors[] = {"#0b7e8c", "#7b4ee0", "#a87900", "#d7263d",
                                                 "#1f9d55", "#e8590c", "#1c7ed6", "#b5179e"};
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (char c : id) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return std::string(kColors[h % std::size(kColors)]);
}

struct Person {
  std::string id, name;
};

// The person a session cookie names, when its token is valid and says what this app signs.
std::optional<Person> person_of(std::string_view token, const TokenSigner& signer) {
  if (token.empty()) return std::nullopt;
  auto verified = signer.verify(token, cohort::TokenKind::app);
  if (!verified.claims) return std::nullopt;
  const Json claims = *verified.claims;
  Person p{input::text(claims, "sub"), input::text(claims, "name")};
  bool id_ok = p.id.size() == 18 && p.id.starts_with("p-") &&
               p.id.find_first_not_of("0123456789abcdef", 2) == std::string::npos;
  if (input::text(claims, "use") != kUse || !id_ok || name_problem(p.name)) return std::nullopt;
  return p;
}

HttpResponse html(unsigned status, std::string body) {
  HttpResponse r{status, "text/html; charset=utf-8", std::move(body), {}};
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

HttpResponse redirect(unsigned status, std::string to) {
  HttpResponse r = html(status, "");
  r.headers.emplace_back("Location", std::move(to));
  return r;
}

std::string page(std::string_view title, std::string_view body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         escape_html(title) +
         " · Kanban</title>\n<link rel=\"stylesheet\" href=\"/assets/cohort.css\">\n"
         "<link rel=\"stylesheet\" href=\"/kanban.css\">\n</head>\n<body>\n<main class=\"page login\">\n" +
         std::string(body) + "\n</main>\n</body>\n</html>\n";
}

// The sign-in form, bound to the nonce of the browser's kanban_login cookie.
std::string login_form(const TokenSigner& signer, std::string_view nonce, std::string_view name,
                       std::string_view then, std::string_view error) {
  std::string problem = error.empty() ? "" : "<p class=\"notice notice-warn\" id=\"login-error\" role=\"alert\">" +
                                                 escape_html(error) + "</p>\n";
  return page("Sign in",
              "<h1>Kanban</h1>\n<p class=\"lead\">Pick the name the others on the board will see.</p>\n" + problem +
                  "<form method=\"post\" action=\"/login\" class=\"card stack\" id=\"login-form\">\n"
                  "<label for=\"name\">Your name</label>\n"
                  "<input type=\"text\" id=\"name\" name=\"name\" value=\"" + escape_html(name) +
                  "\" maxlength=\"" + std::to_string(kMaxName) + "\" autocomplete=\"nickname\" required autofocus>\n"
                  "<input type=\"hidden\" name=\"csrf\" value=\"" + signer.tag(kFormPurpose, nonce) + "\">\n"
                  "<input type=\"hidden\" name=\"then\" value=\"" + escape_html(then) + "\">\n"
                  "<div><button type=\"submit\" id=\"sign-in\">Go to the board</button></div>\n</form>");
}

// GET /login: a fresh nonce cookie and the form (with the current name, to change it).
HttpResponse show_form(const HttpRequest& req, const TokenSigner& signer) {
  std::string nonce = random_hex(16);
  auto person = person_of(req.cookie_value(kSessionCookie), signer);
  std::string then = board_path(req.query_param("then").value_or(""));
  HttpResponse r = html(200, login_form(signer, nonce, person ? person->name : "", then, ""));
  r.headers.emplace_back("Set-Cookie",
                         std::string(kNonceCookie) + "=" + nonce + "; Path=/login; HttpOnly; SameSite=Strict");
  return r;
}

// Whether a browser says the POST came from a page of another site (or an opaque one: "null").
// No Origin header (not a browser, or one that does not send it): the nonce alone decides.
bool foreign_origin(const HttpRequest& req, bool secure) {
  return !req.origin.empty() && req.origin != std::string(secure ? "https://" : "http://") + req.host;
}

// POST /login: from our own page, with the form's tag matching the nonce cookie; then the name.
HttpResponse sign_in(const HttpRequest& req, const TokenSigner& signer, bool secure) {
  HttpRequest form;  // an URL-encoded form body reads like a query string
  form.query = req.body;
  std::string nonce = req.cookie_value(kNonceCookie);
  bool urlencoded = req.content_type.starts_with("application/x-www-form-urlencoded");
  if (!urlencoded || foreign_origin(req, secure) || nonce.empty() ||
      !signer.check_tag(kFormPurpose, nonce, form.query_param("csrf").value_or("")))
    return html(403, page("Sign in", "<p class=\"notice notice-warn\" id=\"login-error\">This sign-in form is stale or "
                                     "came from another site. <a href=\"/login\">Sign in again</a>.</p>"));
  std::string name = input::trimmed(form.query_param("name").value_or(""));
  std::string then = board_path(form.query_param("then").value_or(""));
  if (auto problem = name_problem(name)) return html(400, login_form(signer, nonce, name, then, *problem));
  auto current = person_of(req.cookie_value(kSessionCookie), signer);  // a new name: the same person
  std::string id = current ? current->id : "p-" + random_hex(8);
  std::string token = signer.sign(cohort::TokenKind::app, JsonObject{{"sub", id}, {"name", name}, {"use", kUse}}, kSessionTtl);
  HttpResponse r = redirect(303, then);
  r.headers.emplace_back("Set-Cookie", std::string(kSessionCookie) + "=" + token + "; Path=/; Max-Age=" +
                                           std::to_string(kSessionTtl.count()) + "; HttpOnly; SameSite=Lax" +
                                           (secure ? "; Secure" : ""));
  r.headers.emplace_back("Set-Cookie", std::string(kNonceCookie) + "=; Path=/login; Max-Age=0");
  return r;
}

}  // namespace

void route_login(cohort::Node& node) {
  bool secure = !node.config().tls_cert.empty();
  node.route("GET", "/", [](const HttpRequest&) { return redirect(302, std::string(kMainBoard)); });
  node.route("GET", "/login", [&node](const HttpRequest& req) { return show_form(req, node.signer()); });
  node.route("POST", "/login", [&node, secure](const HttpRequest& req) { return sign_in(req, node.signer(), secure); });
}

cohort::live::Identity signed_in(const HttpRequest& request, const TokenSigner& signer) {
  if (auto person = person_of(request.cookie_value(kSessionCookie), signer))
    return {JsonObject{{"id", person->id}, {"name", person->name}, {"color", color_of(person->id)}}, std::nullopt};
  bool board = request.segments.size() == 2 && request.segments[0] == "board";
  std::string then = board_path(board ? "/board/" + request.segments[1] : "");
  return {JsonObject{}, redirect(302, "/login?then=" + then)};
}

}  // namespace kanban
