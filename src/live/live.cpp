// live.cpp — the live layer's facade: registration, start-up checks, installation. See
// cohort/live.hpp for the guarantees.
#include "cohort/live.hpp"

#include "auth/api_auth.hpp"
#include "auth/grants.hpp"
#include "auth/secret_file.hpp"
#include "cohort/node.hpp"
#include "log/log.hpp"
#include "live/admin_dashboard.hpp"
#include "live/async_pool.hpp"
#include "live/live_channel.hpp"
#include "live/live_metrics.hpp"
#include "live/page.hpp"
#include "live/registry.hpp"
#include "live/signin.hpp"
#include "live/upload_channel.hpp"
#include "metrics/registry.hpp"
#include "net/runtime_files.hpp"

namespace cohort::live {

namespace {

// <source>/<name> next to the binary (<source>/build/cohort), or ./<name>.
// A runtime directory: its setting when set, else the installed or source tree's (see
// net/runtime_files.hpp); nullopt after adding an error that names the setting.
std::optional<std::string> runtime_dir(const std::string& configured, std::string_view name, std::string_view flag,
                                       std::string& errors) {
  if (!configured.empty()) return configured;
  std::string tried;
  if (auto dir = net::find_runtime_dir(name, tried)) return dir;
  errors += (errors.empty() ? "" : "\n") + std::string("no ") + std::string(name) + " directory: looked in " + tried +
            "; install Cohort (cmake --install) or set " + std::string(flag);
  return std::nullopt;
}

}  // namespace

struct Live::Impl {
  explicit Impl(cohort::Node& n) : node(n) {}
  cohort::Node& node;
  Registry registry;
  auth::GrantLedger grants;  // this run's sign-in grants (epoch, used ids)
  std::unique_ptr<AsyncPool> async;  // the views' async tasks; made at install()
};

Live::Live(cohort::Node& node) : impl_(std::make_unique<Impl>(node)) {}
Live::~Live() = default;

Live& Live::view(std::string path, std::string template_name, ViewFactory factory, std::string title) {
  impl_->registry.views.push_back({std::move(path), std::move(template_name), std::move(title), std::move(factory)});
  return *this;
}

Live& Live::child_view(std::string name, std::string template_name, ViewFactory factory) {
  ViewRoute route{name, std::move(template_name), "", std::move(factory)};
  route.child = true;
  impl_->registry.child_views.insert_or_assign(std::move(name), std::move(route));
  return *this;
}

Live& Live::component(std::string type, std::string template_name, ComponentFactory factory) {
  impl_->registry.components[std::move(type)] = ComponentType{std::move(template_name), std::move(factory)};
  return *this;
}

Live& Live::new_visitor(NewVisitorHook fill) {
  impl_->registry.new_visitor = std::move(fill);
  return *this;
}

Live& Live::page(PageLayout layout) {
  impl_->registry.layout = std::move(layout);
  return *this;
}

Live& Live::on_mount(std::string scope, OnMountHook hook) {
  impl_->registry.on_mount.push_back(MountHook{std::move(scope), std::move(hook)});
  return *this;
}

Live& Live::identify(IdentifyHook hook) {
  impl_->registry.identify = std::move(hook);
  return *this;
}

PageIdentity Live::identity(const HttpRequest& request) const {
  return identity_of(request, impl_->node.signer(), impl_->registry);
}

Live& Live::track_visitors(std::string topic) {
  impl_->registry.visitors_topic = std::move(topic);
  return *this;
}

std::string Live::grant_link(const std::vector<std::string>& roles, std::chrono::seconds ttl,
                             std::string_view then) const {
  return signin_link(impl_->grants.mint(impl_->node.signer(), roles, ttl), then);
}

std::optional<std::string> Live::save_grant_epoch() const {
  return auth::write_private_file(impl_->node.config().data_dir + "/grant-epoch", impl_->grants.epoch() + "\n");
}

std::optional<std::string> Live::install() {
  auto& reg = impl_->registry;
  cohort::Node& node = impl_->node;
  const Config& config = node.config();
  std::string errors;
  auto fail = [&](const std::string& e) {
    if (!e.empty()) errors += (errors.empty() ? "" : "\n") + e;
  };

  reg.secure_cookies = !config.tls_cert.empty();  // Live::identity's cookies, with live pages or not
  const bool app_pages = !(reg.views.empty() && reg.components.empty() && reg.child_views.empty());
  if (!app_pages && !config.admin_dashboard) return std::nullopt;  // an app without live pages
  std::optional<std::string> templates = app_pages ? runtime_dir(config.templates_dir, "templates", "--templates-dir", errors)
                                                   : std::optional<std::string>("");
  auto assets = runtime_dir(config.assets_dir, "node_modules", "--assets-dir", errors);
  if (!app_pages && !assets) {  // the dashboard alone is not worth refusing to start for
    log::event(log::Category::live, log::Level::warn, "admin_dashboard_off", {{"reason", errors}});
    return std::nullopt;
  }
  if (!templates || !assets) return errors;
  bool dashboard = config.admin_dashboard;
  if (dashboard)
    if (auto why = add_admin_dashboard(reg, node)) {
      log::event(log::Category::live, log::Level::warn, "admin_dashboard_off", {{"reason", *why}});
      dashboard = false;
    }
  if (!app_pages && reg.views.empty()) return std::nullopt;
  const std::string& templates_dir = *templates;
  fail(link_registry(reg, templates_dir));
  if (auto e = install_vendor_assets(node, *assets)) fail(*e);
  if (!errors.empty()) return errors;

  reg.frame = std::chrono::milliseconds(config.live_frame_ms);
  reg.event_wait = std::chrono::milliseconds(config.live_event_wait_ms);
  reg.session_ttl = std::chrono::seconds(config.live_session_ttl_s);
  reg.parsers = net::parser_limits(config);
  reg.signer = &node.signer();
  reg.uploads.dir = config.upload_dir.empty() ? config.data_dir + "/uploads" : config.upload_dir;
  reg.uploads.max_temp_bytes = static_cast<std::int64_t>(config.upload_max_temp_bytes);
  reg.uploads.max_chunk = config.max_frame > 1024 ? config.max_frame - 1024 : 1;  // room for the frame's header
  if (auto e = prepare_upload_dir(reg.uploads.dir)) return *e;
  impl_->async = std::make_unique<AsyncPool>(config.live_async_workers, config.live_async_queue);
  Services services{node.pubsub(), node.presence(), node.stores(), reg, impl_->async.get()};
  // A socket on the admin listener says so in its assigns: the live join takes a page's session
  // only on the listener that served the page (page.hpp, listener_matches).
  node.socket("/live")
      .on_connect([](const ConnectInfo& info) {
        if (!info.admin_listener) return ConnectResult::accept();
        return ConnectResult::accept(JsonObject{{kListenerClaim, kAdminListener}});
      })
      .channel("lv:*", live_channel_factory(services, node.signer()))
      .channel("lvu:*", upload_channel_factory(node.signer(), reg.uploads));
  if (dashboard) node.admin_socket("/live");  // the admin dashboard goes live on the admin listener too
  install_pages(node, services);
  // The node's status (/admin/status, the admin dashboard): connected views per page.
  node.status_section("live", [&reg] {
    JsonObject pages;
    auto add = [&pages](const ViewRoute& v) {
      if (auto n = v.open->load(std::memory_order_relaxed); n > 0) pages[v.path] = n;
    };
    for (const auto& v : reg.views) add(v);
    for (const auto& [name, v] : reg.child_views) add(v);
    return Json(JsonObject{{"views", std::move(pages)}, {"mounted", reg.stats.views_mounted.load(std::memory_order_relaxed)}});
  });
  install_signin(node, impl_->grants,
                 SigninSettings{std::chrono::seconds(config.role_ttl_s), reg.secure_cookies, reg.new_visitor});
  // The live figures join /metrics; /metrics/live, an operator surface like it (the admin
  // listener, or the main port with an API token), shows the same collection as JSON.
  node.metrics_registry().add([&reg, &async = impl_->async->stats()](metrics::Scrape& s) { collect(reg, async, s); });
  node.admin_route("GET", "/metrics/live", [&reg, &async = impl_->async->stats()](const HttpRequest&) {
    metrics::Scrape scrape;
    collect(reg, async, scrape);
    return HttpResponse::json(200, live_json(scrape));
  });
  return std::nullopt;
}

}  // namespace cohort::live
