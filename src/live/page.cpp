// page.cpp — the HTML page of a live view and the visitor's identity: see page.hpp.
#include "live/page.hpp"

#include "live/flash.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/base64.hpp"
#include "live/admin_dashboard.hpp"
#include "net/log_clip.hpp"
#include "log/log.hpp"

namespace cohort::live {

namespace {

constexpr std::string_view kUserCookie = "cohort_user";
// The visitor cookie lasts a year: a browser keeps its id (and what new_visitor added) between visits.
constexpr std::chrono::seconds kVisitorTtl{365 * 24 * 3600};
constexpr std::string_view kCsrfPurpose = "live-csrf";

std::int64_t now_unix() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string_view user_id_of(const JsonObject& user) {
  const Json* id = user.if_contains("id");
  return id && id->is_string() ? std::string_view(id->get_string()) : std::string_view{};
}

std::string random_url_chars(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return auth::encode_url(raw);
}

std::string load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// What goes in the page's <head>: the csrf meta tag, the title, the app's styles, Cohort's
// scripts and the app's scripts after them.
std::string head_html(const PageLayout& layout, std::string_view title, std::string_view csrf) {
  std::string head = "<meta charset=\"utf-8\">\n";
  head += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  head += "<meta name=\"csrf-token\" content=\"" + std::string(csrf) + "\">\n";
  head += "<title data-suffix=\"" + escape_attr(layout.title_suffix) + "\">" + escape_attr(title) +
          escape_attr(layout.title_suffix) + "</title>\n";
  for (const auto& css : layout.styles) head += "<link rel=\"stylesheet\" href=\"" + escape_attr(css) + "\">\n";
  head += "<script defer src=\"/assets/vendor/phoenix.min.js\"></script>\n";
  head += "<script defer src=\"/assets/vendor/phoenix_live_view.min.js\"></script>\n";
  head += "<script defer src=\"/assets/cohort_hooks.js\"></script>\n";  // hooks that ship with Cohort
  head += "<script defer src=\"/assets/cohort_live.js\"></script>\n";
  for (const auto& js : layout.scripts) head += "<script defer src=\"" + escape_attr(js) + "\"></script>\n";
  return head;
}

// The live view's container: what phoenix_live_view joins (docs/protocol.md, The page).
std::string main_html(std::string_view id, std::string_view session, std::string_view inner) {
  std::string main;
  main.reserve(inner.size() + 256);
  main += "<div id=\"" + std::string(id) + "\" data-phx-main data-phx-session=\"" + std::string(session) +
          "\" data-phx-static=\"\">";
  main += inner;
  main += "</div>";
  return main;
}

// The page around the view's HTML: the app's layout template, or Cohort's plain page.
// plain: Cohort's own page and styles, whatever the app's layout (operator pages).
std::string shell(const Registry& reg, std::string_view title, std::string_view id, std::string_view session,
                  std::string_view csrf, std::string_view inner, bool plain) {
  std::string head = head_html(plain ? PageLayout{} : reg.layout, title, csrf);
  std::string main = main_html(id, session, inner);
  if (reg.layout_template && !plain)
    return render_layout(*reg.layout_template, std::string(title) + reg.layout.title_suffix, head, main);
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n" + head + "</head>\n<body>\n" + main + "\n</body>\n</html>\n";
}

}  // namespace

std::string render_layout(const Template& layout, std::string_view title, std::string_view head, std::string_view main) {
  Rendering rendering(layout);
  JsonObject assigns{{"title", title}, {"head", head}, {"main", main}};
  return to_html(rendering.render_full(assigns));
}

std::optional<std::string> check_layout(const Template& layout) {
  constexpr std::string_view kHead = "<!--cohort-head-->", kMain = "<!--cohort-main-->";
  std::string page = render_layout(layout, "", kHead, kMain);
  auto once = [&page](std::string_view mark) {
    auto at = page.find(mark);
    return at != std::string::npos && page.find(mark, at + 1) == std::string::npos;
  };
  if (!once(kHead) || !once(kMain))
    return "layout template '" + layout.name() +
           "' must print {{{head}}} (inside <head>) and {{{main}}} (inside <body>) once each: without them no page goes live";
  return std::nullopt;
}

namespace {

// ---- the nested views of the first HTML ----

constexpr unsigned kMaxNestedDepth = 8;  // children of children...: past it, containers stay empty
using HtmlDone = std::function<void(std::string html)>;

std::string tree_html(const JsonObject& tree) {
  const Json* c = tree.if_contains("c");
  return c && c->is_object() ? to_html(tree, c->get_object()) : to_html(tree);
}

// Puts inner into the container whose opening tag is open, within html.
void put_in_container(std::string& html, const std::string& open, const std::string& inner) {
  const std::string empty = open + "</div>";
  if (auto at = html.find(empty); at != std::string::npos) html.insert(at + open.size(), inner);
}

void render_child(Services services, ViewInstance::UnrenderedChild c, HtmlDone done, unsigned depth);

// Mounts and renders each nested view a disconnected render placed and puts its HTML in its
// container within html (theirs in turn, to kMaxNestedDepth); then done(html). A child that
// cannot mount or render, or that redirects, keeps its container empty: it renders once joined.
void fill_children(Services services, std::vector<ViewInstance::UnrenderedChild> children, std::string html,
                   HtmlDone done, unsigned depth) {
  if (children.empty() || depth >= kMaxNestedDepth) return done(std::move(html));
  struct Fill {
    std::string html;
    std::size_t left;
    HtmlDone done;
  };
  auto fill = std::make_shared<Fill>(Fill{std::move(html), children.size(), std::move(done)});
  for (auto& c : children) {
    std::string open = c.open;
    render_child(services, std::move(c), [fill, open = std::move(open)](std::string inner) {
      if (!inner.empty()) put_in_container(fill->html, open, inner);
      if (--fill->left == 0) fill->done(std::move(fill->html));
    }, depth);
  }
}

void render_child(Services services, ViewInstance::UnrenderedChild c, HtmlDone done, unsigned depth) {
  auto child = std::make_shared<ViewInstance>(services, *c.route, c.id, std::move(c.session));
  auto failed = [id = c.id, done](const char* why) {
    log::event(log::Category::live, log::Level::debug, "nested_view_not_prerendered", {{"id", id}, {"error", why}});
    done("");
  };
  try {
    child->start(c.params, "", [services, child, done, depth, failed] {
      std::string html;
      std::vector<ViewInstance::UnrenderedChild> grandchildren;
      try {
        JsonObject tree = child->render_full();
        Effects effects = child->take_effects();
        if (effects.redirect || effects.navigate) return failed("it redirects");
        html = tree_html(tree);
        grandchildren = child->take_unrendered_children();
      } catch (const std::exception& e) {
        return failed(e.what());
      }
      fill_children(services, std::move(grandchildren), std::move(html), done, depth + 1);
    });
  } catch (const std::exception& e) {
    failed(e.what());
  }
}

}  // namespace

void fill_nested_views(Services services, std::vector<ViewInstance::UnrenderedChild> children, std::string html,
                       std::function<void(std::string html)> done) {
  fill_children(services, std::move(children), std::move(html), std::move(done), 0);
}


namespace {

HttpResponse html(unsigned status, std::string body) { return html_response(status, std::move(body)); }

// A view's own redirect (Socket::redirect / push_navigate during the dead render). A target
// with a control character (CR/LF would add headers of its own) goes to "/" instead.
HttpResponse redirect_to(std::string_view to) {
  bool clean = std::none_of(to.begin(), to.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  HttpResponse r = html(302, "");
  r.headers.emplace_back("Location", clean && !to.empty() ? std::string(to) : std::string("/"));
  return r;
}

// The signed session of a page: its view id and user; it ends with the session TTL, or with the
// user's roles when they end first (the reload that follows gives a page without them).
std::string session_token(const TokenSigner& signer, const PageIdentity& visitor, std::string_view id,
                          std::chrono::seconds ttl, JsonObject& claims, const JsonObject& flash, bool admin_listener) {
  std::int64_t exp = now_unix() + ttl.count();
  if (visitor.roles_until > 0) exp = std::min(exp, visitor.roles_until);
  claims = JsonObject{{"id", id}, {"user", visitor.user}};
  if (admin_listener) claims[kListenerClaim] = kAdminListener;
  if (!flash.empty()) claims["flash"] = flash;  // the connected mount shows it too
  std::string token = signer.sign_until(TokenKind::session, claims, exp);
  claims["kind"] = kind_name(TokenKind::session);
  claims["exp"] = exp;
  return token;
}

// as: who the page acts as, when the caller knows (an operator page); else the request's visitor.
// admin_listener: the request came in on the admin listener.
void serve_view(Services services, const TokenSigner& signer, const HttpRequest& req, HttpResponder respond,
                std::optional<PageIdentity> as = std::nullopt, bool admin_listener = false) {
  auto match = services.registry.router.match(req.path, req.query);
  if (!match) return respond(html(404, "<!DOCTYPE html><title>Not found</title><p>No page at this address.</p>"));
  const ViewRoute& route = services.registry.views[match->route_index];
  PageIdentity visitor = as ? std::move(*as) : identity_of(req, signer, services.registry);
  if (visitor.answer) return respond(std::move(*visitor.answer));
  std::string id = "phx-" + random_url_chars(12);
  JsonObject claims;
  // The flash a redirect left for this page (flash.hpp): shown once, so the cookie goes now.
  std::string flash_cookie_in(req.cookie_value(kFlashCookie));
  JsonObject flash = flash_of(signer, flash_cookie_in);
  std::string session = session_token(signer, visitor, id, services.registry.session_ttl, claims, flash, admin_listener);
  std::string csrf = csrf_token(signer, user_id_of(visitor.user));
  auto view = std::make_shared<ViewInstance>(services, route, id, claims);
  std::string url = "http://" + (req.host.empty() ? std::string("localhost") : req.host) + req.path +
                    (req.query.empty() ? "" : "?" + req.query);
  const Registry* reg = &services.registry;  // the registry outlives every request
  bool had_flash = !flash_cookie_in.empty();
  // The answer, with the visitor's new cookie and the spent flash's removal.
  auto answer = [respond, reg, had_flash, set_cookie = visitor.set_cookie](HttpResponse r) {
    if (!set_cookie.empty()) r.headers.emplace_back("Set-Cookie", set_cookie);
    if (had_flash) r.headers.emplace_back("Set-Cookie", flash_cookie("", reg->secure_cookies));
    respond(std::move(r));
  };
  view->start(match->params, url, [services, view, respond, answer, session, csrf, id, reg, had_flash,
                                   plain = route.operator_page] {
    std::string title, main;
    std::vector<ViewInstance::UnrenderedChild> children;
    try {
      JsonObject tree = view->render_full();
      Effects effects = view->take_effects();
      if (effects.redirect || effects.navigate) {  // a mount that sends the visitor elsewhere
        HttpResponse r = redirect_to(effects.redirect ? *effects.redirect : std::string((*effects.navigate)["to"].get_string()));
        if (!effects.flash.empty() || had_flash) r.headers.emplace_back("Set-Cookie", flash_cookie(effects.flash, reg->secure_cookies));
        return respond(std::move(r));
      }
      title = tree.contains("t") ? std::string(tree["t"].get_string()) : view->route().title;
      main = tree_html(tree);
      children = view->take_unrendered_children();
    } catch (const std::exception& e) {
      return answer(html(500, "<!DOCTYPE html><title>Error</title><p>This page failed to render: " + escape_attr(e.what()) + "</p>"));
    }
    fill_nested_views(services, std::move(children), std::move(main),
                      [answer, reg, title, id, session, csrf, plain](std::string main) {
                        answer(html(200, shell(*reg, title, id, session, csrf, main, plain)));
                      });
  });
}

}  // namespace

std::string escape_attr(std::string_view text) { return escape_html(text); }

HttpResponse html_response(unsigned status, std::string body) {
  HttpResponse r{status, "text/html; charset=utf-8", std::move(body), {}};
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string simple_page(std::string_view title, std::string_view body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         escape_attr(title) + " · Cohort</title>\n<link rel=\"stylesheet\" href=\"/assets/cohort.css\">\n</head>\n"
         "<body>\n<main class=\"page\">\n<h1>" + escape_attr(title) + "</h1>\n" + std::string(body) +
         "\n</main>\n</body>\n</html>\n";
}

std::string csrf_token(const TokenSigner& signer, std::string_view user_id) { return signer.tag(kCsrfPurpose, user_id); }

bool csrf_matches(const TokenSigner& signer, std::string_view user_id, std::string_view candidate) {
  return !user_id.empty() && signer.check_tag(kCsrfPurpose, user_id, candidate);
}

bool listener_matches(const JsonObject& session_claims, const JsonObject& socket_assigns) {
  auto admin = [](const JsonObject& o) {
    const Json* v = o.if_contains(kListenerClaim);
    return v && v->is_string() && v->get_string() == kAdminListener;
  };
  return admin(session_claims) == admin(socket_assigns);
}

std::string user_cookie(const JsonObject& user, std::int64_t roles_exp, const TokenSigner& signer, bool secure) {
  JsonObject claims{{"user", user}};
  if (roles_exp > 0) claims["roles_exp"] = roles_exp;
  return std::string(kUserCookie) + "=" + signer.sign(TokenKind::visitor, std::move(claims), kVisitorTtl) +
         "; Path=/; Max-Age=" + std::to_string(kVisitorTtl.count()) + "; HttpOnly; SameSite=Lax" +
         (secure ? "; Secure" : "");
}

Visitor visitor_of(const HttpRequest& request, const TokenSigner& signer, bool secure, const NewVisitorHook& fill) {
  std::string token = request.cookie_value(kUserCookie);
  auto verified = token.empty() ? TokenSigner::Verified{} : signer.verify(token, TokenKind::visitor);
  const Json* user = verified.claims ? verified.claims->if_contains("user") : nullptr;
  if (user && user->is_object() && !user_id_of(user->get_object()).empty()) {
    Visitor v{user->get_object(), 0, "", true};
    const Json* exp = verified.claims->if_contains("roles_exp");
    if (exp && exp->is_number()) v.roles_exp = static_cast<std::int64_t>(exp->to_number<double>());
    if (v.user.contains("roles") && v.roles_exp <= now_unix()) {
      // The roles ran out: the same visitor without them (the cookie is replaced to match).
      v.user.erase("roles");
      v.roles_exp = 0;
      v.set_cookie = user_cookie(v.user, 0, signer, secure);
    } else if (!v.user.contains("roles")) {
      v.roles_exp = 0;
    }
    return v;
  }
  const std::string id = "u-" + random_url_chars(9);
  JsonObject fresh{{"id", id}};
  if (fill) fill(fresh);
  fresh["id"] = id;  // the id is Cohort's, whatever fill did
  return Visitor{fresh, 0, user_cookie(fresh, 0, signer, secure), false};
}

PageIdentity identity_of(const HttpRequest& request, const TokenSigner& signer, const Registry& registry) {
  Visitor visitor = visitor_of(request, signer, registry.secure_cookies, registry.new_visitor);
  PageIdentity out{std::move(visitor.user), std::nullopt, std::move(visitor.set_cookie), visitor.roles_exp};
  if (!registry.identify) return out;
  Identity who = registry.identify(request, out.user);
  if (who.answer) return PageIdentity{{}, std::move(who.answer), {}, 0};
  if (user_id_of(who.user).empty()) {
    log::event(log::Category::live, log::Level::error, "identify_without_id",
               {{"path", net::log_clip(request.path)}, {"error", "the app's identify hook gave a user without a string \"id\""}});
    return PageIdentity{{}, html(500, "<!DOCTYPE html><title>Error</title><p>This page cannot tell who you are.</p>"), {}, 0};
  }
  out.user = std::move(who.user);
  return out;
}

namespace {

bool has_role(const JsonObject& user, std::string_view role) {
  const Json* roles = user.if_contains("roles");
  if (!roles || !roles->is_array()) return false;
  for (const auto& r : roles->get_array())
    if (r.is_string() && r.get_string() == role) return true;
  return false;
}

// An operator page (admin_dashboard.hpp): as is on the admin listener, acting as the operator;
// on the main port only for a visitor with role "admin".
void install_operator_page(cohort::Node& node, Services services, const ViewRoute& route) {
  const TokenSigner& signer = node.signer();
  node.admin_page(
      route.path,
      [services, &signer](const HttpRequest& req, HttpResponder respond) {
        serve_view(services, signer, req, std::move(respond), admin_listener_operator(), true);
      },
      [services, &signer](const HttpRequest& req, HttpResponder respond) {
        PageIdentity visitor = identity_of(req, signer, services.registry);
        if (!visitor.answer && !has_role(visitor.user, "admin")) {
          HttpResponse r = html(403, simple_page("Not allowed", "<p>This page is for the node's operators: sign in "
                                                                "with the role <code>admin</code>.</p>"));
          if (!visitor.set_cookie.empty()) r.headers.emplace_back("Set-Cookie", visitor.set_cookie);
          return respond(std::move(r));
        }
        serve_view(services, signer, req, std::move(respond), std::move(visitor));
      });
}

}  // namespace

void install_pages(cohort::Node& node, Services services) {
  const TokenSigner& signer = node.signer();
  for (const auto& route : services.registry.views) {
    if (route.operator_page) {
      install_operator_page(node, services, route);
      continue;
    }
    node.route_async("GET", route.path, [services, &signer](const HttpRequest& req, HttpResponder respond) {
      serve_view(services, signer, req, std::move(respond));
    });
  }
}

std::optional<std::string> install_vendor_assets(cohort::Node& node, const std::string& assets_dir) {
  // The scripts of every live page: a node without them serves no live page at all.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kBundles = {{
      {"phoenix.min.js", "phoenix/priv/static/phoenix.min.js"},
      {"phoenix_live_view.min.js", "phoenix_live_view/priv/static/phoenix_live_view.min.js"},
  }};
  // The ES modules a page without a bundler imports through an import map (docs/js-client.md):
  // phoenix, fast-json-patch (its own relative imports resolve under the same prefix) and
  // Cohort's JavaScript client (clients/js, installed beside node_modules as
  // share/cohort/clients/js). Served when present: a copy of node_modules with the bundles only
  // (an app's build directory) still serves its live pages.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kModules = {{
      {"phoenix.mjs", "phoenix/priv/static/phoenix.mjs"},
      {"fast-json-patch/index.mjs", "fast-json-patch/index.mjs"},
      {"fast-json-patch/module/core.mjs", "fast-json-patch/module/core.mjs"},
      {"fast-json-patch/module/duplex.mjs", "fast-json-patch/module/duplex.mjs"},
      {"fast-json-patch/module/helpers.mjs", "fast-json-patch/module/helpers.mjs"},
  }};
  auto files = std::make_shared<std::map<std::string, std::string, std::less<>>>();
  for (auto [name, rel] : kBundles) {
    std::string path = assets_dir + "/" + std::string(rel);
    std::string body = load_file(path);
    if (body.empty()) return "live pages need " + path + " (run ./scripts/setup: npm ci installs it)";
    (*files)[std::string(name)] = std::move(body);
  }
  for (auto [name, rel] : kModules)
    if (std::string body = load_file(assets_dir + "/" + std::string(rel)); !body.empty())
      (*files)[std::string(name)] = std::move(body);
  // Beside node_modules by name, not by "..": node_modules may be a symlink to another tree.
  std::filesystem::path modules = std::filesystem::path(assets_dir).lexically_normal();
  if (modules.filename().empty()) modules = modules.parent_path();
  if (std::string body = load_file((modules.parent_path() / "clients" / "js" / "index.js").string()); !body.empty())
    (*files)["cohort-client/index.js"] = std::move(body);
  // On the admin listener too: the pages of its operator pages (admin_dashboard.hpp) need them.
  AsyncHttpHandler bundle = [files](const HttpRequest& req, HttpResponder respond) {
    auto it = files->find(req.param("file"));
    if (it == files->end()) return respond(HttpResponse::json(404, JsonObject{{"error", "no such bundle"}}));
    HttpResponse r{200, "text/javascript; charset=utf-8", it->second, {}};
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    respond(std::move(r));
  };
  node.admin_page("/assets/vendor/*file", bundle, bundle);
  return std::nullopt;
}

}  // namespace cohort::live
