// page.cpp — the HTML page of a live view and the visitor's identity: see page.hpp.
#include "live/page.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <ctime>
#include <fstream>
#include <sstream>

#include "auth/base64.hpp"

namespace cohort::live {

namespace {

constexpr std::string_view kUserCookie = "cohort_user";
constexpr int kUserCookieDays = 365;

std::string random_url_chars(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return auth::encode_url(raw);
}

std::uint32_t random_u32() {
  std::uint32_t v = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v) != 1) throw std::runtime_error("RAND_bytes failed");
  return v;
}

// A friendly made-up name and a colour, so people can tell each other apart in presence lists
// and cursors before anyone signs in. The twelve colours are well apart in hue or lightness
// (CIEDE2000 >= 16 between any two) and readable on white (contrast >= 3.4); they are handed out
// in turn, so people who arrive around the same time get different ones until twelve have come,
// in an order where any three in a row are even further apart (CIEDE2000 >= 28).
JsonObject new_user() {
  // 32 × 32 names: a dozen people online at once share one about 6% of the time (16 × 16: 23%).
  static constexpr std::array<std::string_view, 32> kAdjectives = {
      "Amber", "Brisk", "Calm", "Dapper", "Eager", "Fabled", "Gentle", "Hardy",
      "Jolly", "Keen", "Lucky", "Mellow", "Nimble", "Plucky", "Quiet", "Witty",
      "Bold", "Cheery", "Clever", "Cosy", "Daring", "Fuzzy", "Golden", "Humble",
      "Lively", "Merry", "Noble", "Rustic", "Silver", "Sunny", "Swift", "Tidy"};
  static constexpr std::array<std::string_view, 32> kAnimals = {
      "Otter", "Heron", "Lynx", "Badger", "Falcon", "Marten", "Ibis", "Koala",
      "Puffin", "Raven", "Gecko", "Bison", "Crane", "Walrus", "Mole", "Tapir",
      "Beaver", "Dingo", "Egret", "Ferret", "Gannet", "Hare", "Jackal", "Kestrel",
      "Lemur", "Moose", "Newt", "Ocelot", "Panda", "Quokka", "Stoat", "Wombat"};
  static constexpr std::array<std::string_view, 12> kColors = {
      "#0b7e8c" /* teal */,  "#7b4ee0" /* violet */, "#a87900" /* amber */,   "#d7263d" /* red */,
      "#5c6370" /* slate */, "#1f9d55" /* green */,  "#e8590c" /* orange */,  "#1c7ed6" /* blue */,
      "#6b8e00" /* olive */, "#b5179e" /* magenta */, "#243b80" /* navy */,   "#8d5524" /* brown */};
  static std::atomic<std::uint32_t> next_color{random_u32()};
  std::uint32_t r = random_u32();
  std::string name = std::string(kAdjectives[r % 32]) + " " + std::string(kAnimals[(r >> 5) % 32]);
  std::string_view color = kColors[next_color.fetch_add(1, std::memory_order_relaxed) % kColors.size()];
  return JsonObject{{"id", "u-" + random_url_chars(9)}, {"name", name}, {"color", color}};
}

std::string load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The page around the view's HTML (PROTOCOL.md D.1).
std::string shell(std::string_view title, std::string_view id, std::string_view session, std::string_view inner) {
  std::string csrf = random_url_chars(18);
  std::string page;
  page.reserve(inner.size() + 1024);
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<meta name=\"csrf-token\" content=\"" + csrf + "\">\n";
  page += "<title data-suffix=\" · Cohort\">" + escape_attr(title) + " · Cohort</title>\n";
  page += "<link rel=\"stylesheet\" href=\"/assets/cohort.css\">\n";
  page += "<script defer src=\"/assets/vendor/phoenix.min.js\"></script>\n";
  page += "<script defer src=\"/assets/vendor/phoenix_live_view.min.js\"></script>\n";
  page += "<script defer src=\"/assets/cohort_hooks.js\"></script>\n";  // hooks that ship with Cohort
  page += "<script defer src=\"/assets/cohort_live.js\"></script>\n";
  page += "</head>\n<body>\n";
  page += "<div id=\"" + std::string(id) + "\" data-phx-main data-phx-session=\"" + std::string(session) +
          "\" data-phx-static=\"\">";
  page += inner;
  page += "</div>\n</body>\n</html>\n";
  return page;
}

HttpResponse html(unsigned status, std::string body) {
  return HttpResponse{status, "text/html; charset=utf-8", std::move(body), {}};
}

HttpResponse redirect_to(std::string_view to) {
  HttpResponse r = html(302, "");
  r.headers.emplace_back("Location", std::string(to));
  return r;
}

void serve_view(Services services, const TokenSigner& signer, const HttpRequest& req, HttpResponder respond) {
  auto match = services.registry.router.match(req.path, req.query);
  if (!match) return respond(html(404, "<!DOCTYPE html><title>Not found</title><p>No page at this address.</p>"));
  const ViewRoute& route = services.registry.views[match->route_index];
  Visitor visitor = visitor_of(req, signer);
  std::string id = "phx-" + random_url_chars(12);
  JsonObject claims{{"kind", "live"},
                    {"id", id},
                    {"user", visitor.user},
                    {"exp", static_cast<std::int64_t>(std::time(nullptr)) + services.registry.session_ttl.count()}};
  std::string session_token = signer.sign(claims);
  auto view = std::make_shared<ViewInstance>(services, route, id, claims);
  std::string url = "http://" + (req.host.empty() ? std::string("localhost") : req.host) + req.path +
                    (req.query.empty() ? "" : "?" + req.query);
  view->start(match->params, url, [view, respond, session_token, id, set_cookie = visitor.set_cookie] {
    HttpResponse r;
    try {
      JsonObject tree = view->render_full();
      Effects effects = view->take_effects();
      if (effects.redirect) return respond(redirect_to(*effects.redirect));
      if (effects.navigate) return respond(redirect_to((*effects.navigate)["to"].get_string()));
      std::string title = tree.contains("t") ? std::string(tree["t"].get_string()) : view->route().title;
      const JsonObject* components = tree.contains("c") ? &tree["c"].get_object() : nullptr;
      r = html(200, shell(title, id, session_token, components ? to_html(tree, *components) : to_html(tree)));
    } catch (const std::exception& e) {
      r = html(500, "<!DOCTYPE html><title>Error</title><p>This page failed to render: " + escape_attr(e.what()) + "</p>");
    }
    if (!set_cookie.empty()) r.headers.emplace_back("Set-Cookie", set_cookie);
    r.headers.emplace_back("Cache-Control", "no-store");
    respond(std::move(r));
  });
}

}  // namespace

std::string escape_attr(std::string_view text) { return escape_html(text); }

std::string user_cookie(const JsonObject& user, const TokenSigner& signer) {
  JsonObject claims{{"kind", "user"}, {"user", user}};
  return std::string(kUserCookie) + "=" + signer.sign(claims) + "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
         std::to_string(kUserCookieDays * 24 * 3600);
}

Visitor visitor_of(const HttpRequest& request, const TokenSigner& signer) {
  std::string token = request.cookie_value(kUserCookie);
  if (!token.empty()) {
    auto verified = signer.verify(token);
    if (verified.claims) {
      const Json* kind = verified.claims->if_contains("kind");
      const Json* user = verified.claims->if_contains("user");
      if (kind && *kind == "user" && user && user->is_object()) return Visitor{user->get_object(), ""};
    }
  }
  JsonObject user = new_user();
  return Visitor{user, user_cookie(user, signer)};
}

std::string signin_link(const TokenSigner& signer, const std::vector<std::string>& roles, std::chrono::seconds ttl,
                        std::string_view then) {
  json::array list;
  for (const auto& r : roles) list.emplace_back(r);
  JsonObject claims{{"kind", "grant"},
                    {"roles", std::move(list)},
                    {"exp", static_cast<std::int64_t>(std::time(nullptr)) + ttl.count()}};
  std::string link = "/signin?grant=" + signer.sign(claims);
  if (then != "/") link += "&then=" + std::string(then);  // a local path: no escaping needed for ours
  return link;
}

void install_signin(cohort::Node& node) {
  const TokenSigner& signer = node.signer();
  node.route("GET", "/signin", [&signer](const HttpRequest& req) {
    std::string grant, then = "/";
    grant = req.query_param("grant").value_or("");
    then = req.query_param("then").value_or("/");
    if (then.empty() || then[0] != '/' || then.starts_with("//")) then = "/";
    auto verified = signer.verify(grant);
    const Json* kind = verified.claims ? verified.claims->if_contains("kind") : nullptr;
    const Json* roles = verified.claims ? verified.claims->if_contains("roles") : nullptr;
    if (!kind || *kind != "grant" || !roles || !roles->is_array())
      return html(403, "<!DOCTYPE html><title>Sign-in link not valid</title><p>This sign-in link is not valid (" +
                           escape_attr(verified.claims ? "not a grant" : verified.error) +
                           "). Ask for a new one.</p>");
    Visitor visitor = visitor_of(req, signer);
    json::array have;
    if (const Json* r = visitor.user.if_contains("roles"); r && r->is_array()) have = r->get_array();
    for (const auto& r : roles->get_array())
      if (std::find(have.begin(), have.end(), r) == have.end()) have.push_back(r);
    visitor.user["roles"] = std::move(have);
    HttpResponse r = redirect_to(then);
    r.headers.emplace_back("Set-Cookie", user_cookie(visitor.user, signer));
    return r;
  });
}

void install_pages(cohort::Node& node, Services services) {
  const TokenSigner& signer = node.signer();
  for (const auto& route : services.registry.views)
    node.route_async("GET", route.path, [services, &signer](const HttpRequest& req, HttpResponder respond) {
      serve_view(services, signer, req, std::move(respond));
    });
}

std::optional<std::string> install_vendor_assets(cohort::Node& node, const std::string& assets_dir) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kBundles = {{
      {"phoenix.min.js", "phoenix/priv/static/phoenix.min.js"},
      {"phoenix_live_view.min.js", "phoenix_live_view/priv/static/phoenix_live_view.min.js"},
  }};
  auto files = std::make_shared<std::map<std::string, std::string, std::less<>>>();
  for (auto [name, rel] : kBundles) {
    std::string path = assets_dir + "/" + std::string(rel);
    std::string body = load_file(path);
    if (body.empty()) return "live pages need " + path + " (run ./scripts/setup: npm ci installs it)";
    (*files)[std::string(name)] = std::move(body);
  }
  node.route("GET", "/assets/vendor/:file", [files](const HttpRequest& req) {
    auto it = files->find(req.param("file"));
    if (it == files->end()) return HttpResponse::json(404, JsonObject{{"error", "no such bundle"}});
    HttpResponse r{200, "text/javascript; charset=utf-8", it->second, {}};
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return r;
  });
  return std::nullopt;
}

}  // namespace cohort::live
