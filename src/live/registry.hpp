// registry.hpp — what the live layer of a node knows once installed: templates, views by path,
// components by type, and the services every view uses.
//
// link_registry (registry.cpp) fills in what the names refer to.
// Lock story: written on the configuring thread before Node::start(), read-only afterwards, so
// every reactor reads it without a lock. LiveStats are relaxed atomics (statistics only).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cohort/live.hpp"
#include "live/router.hpp"
#include "live/template.hpp"
#include "live/upload_files.hpp"
#include "metrics/histogram.hpp"
#include "net/client_json.hpp"

namespace cohort::live {

struct ViewRoute {
  std::string path;
  std::string template_name;
  std::string title;
  ViewFactory factory;
  const Template* tmpl = nullptr;  // resolved by install()
  bool child = false;  // a nested view (Live::child_view): path is its name, it has no URL
  // Cohort's own operator page (admin_dashboard.hpp): served on the admin listener too, with
  // Cohort's plain page shell (never the app's layout, whose files the admin listener lacks).
  bool operator_page = false;
  // Connected instances open now (the node's status: live views per page). Relaxed atomics,
  // changed once per mount and end.
  std::shared_ptr<std::atomic<std::int64_t>> open = std::make_shared<std::atomic<std::int64_t>>(0);
};

struct MountHook {
  std::string scope;  // a path prefix on whole segments; "" for every view
  OnMountHook hook;
};

struct ComponentType {
  std::string template_name;
  ComponentFactory factory;
  const Template* tmpl = nullptr;
};

// Counters for /metrics (cohort_live_*, live_metrics.cpp), /metrics/live and the batching bench.
struct LiveStats {
  std::atomic<std::uint64_t> views_mounted{0};
  std::atomic<std::int64_t> views_open{0};  // mounted and not ended yet
  std::atomic<std::uint64_t> events{0};
  std::atomic<std::uint64_t> infos{0};    // messages handled by handle_info
  std::atomic<std::uint64_t> renders{0};  // diff computations (events + frames)
  std::atomic<std::uint64_t> renders_shared{0};  // frames sent as another view rendered them (shared_render.hpp)
  // Events whose reply waited for their store ops; of them, those answered at the wait's bound
  // (live_event_wait_ms) before the ops were done.
  std::atomic<std::uint64_t> event_waits{0};
  std::atomic<std::uint64_t> event_waits_expired{0};
  // Full renders and diffs, each timed; diffs pushed, by their JSON size (count: diffs pushed,
  // sum: their bytes).
  metrics::Histogram render_seconds{metrics::kLatencyBounds, metrics::kNanoseconds};
  metrics::Histogram diff_bytes{metrics::kByteBounds, 1};
  std::atomic<std::uint64_t> async_failed{0};     // tasks that threw, or were refused (overloaded)
  std::atomic<std::uint64_t> async_cancelled{0};  // cancel_async
};

struct Registry {
  TemplateSet templates;
  std::vector<ViewRoute> views;
  std::map<std::string, ComponentType, std::less<>> components;
  std::map<std::string, ViewRoute, std::less<>> child_views;  // Live::child_view, by name
  Router router;
  std::chrono::milliseconds frame{30};
  std::chrono::milliseconds event_wait{1000};  // Config::live_event_wait_ms
  std::chrono::seconds session_ttl{14 * 24 * 3600};
  bool secure_cookies = false;  // the node serves TLS: cookies get the Secure attribute
  std::string visitors_topic;  // "" = views do not track their visitors
  NewVisitorHook new_visitor;  // Live::new_visitor (may be empty)
  std::vector<MountHook> on_mount;  // Live::on_mount, in the order added
  IdentifyHook identify;       // Live::identify (empty: the visitor is the user)
  PageLayout layout;           // Live::page
  const Template* layout_template = nullptr;  // layout.template_name, found at install (or none)
  net::ParserLimits parsers;   // form_max_depth bounds the forms of live events
  const TokenSigner* signer = nullptr;  // signs the flash a navigation carries (flash.hpp)
  LiveStats stats;
  UploadPlace uploads;  // live uploads' directory, budget and counters (upload_files.hpp)
};

// Loads the templates of templates_dir and resolves every view's, component's and the layout's
// template and every view's route, as Live::install does before a node serves (and a test
// harness before it mounts). Returns every error found, one per line, each naming its file and
// line where it has one; "" when there is none. templates_dir "" (an app without pages of its
// own): only the templates already added are linked.
std::string link_registry(Registry& reg, const std::string& templates_dir);

}  // namespace cohort::live
