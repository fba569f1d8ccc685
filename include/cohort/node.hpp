// cohort/node.hpp — one Cohort node: reactors, listener, HTTP routes, sockets and PubSub.
//
// Lifecycle: construct with a Config; add socket endpoints and HTTP routes; start() binds and
// starts the reactor threads (returns an error message if it cannot); stop_on_signals() makes
// SIGINT/SIGTERM call stop() (signals that arrive before wait() are not lost); wait() blocks
// until stop(). Stopping makes /readyz say draining (for shutdown_unready_ms while still
// serving, when set), closes the listeners, closes every WebSocket with 1001 "going away",
// waits up to shutdown_grace_ms for them to go and for queued commits, then joins the threads.
//
// Exposure (docs/security.md): every request must name one of the node's hosts (421
// otherwise), its path is decoded once (400 for a malformed escape), browser WebSockets must come
// from an allowed origin (403), every answer carries the security headers (CSP, nosniff, no
// framing) unless its handler set its own, and operator routes are served by the admin listener
// only.
//
// Threads: configure on the constructing thread before start(); afterwards only pubsub(),
// presence() (from reactor threads, see presence.hpp), port() and stop() may be used.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/channel.hpp"
#include "cohort/config.hpp"
#include "cohort/http.hpp"
#include "cohort/presence.hpp"
#include "cohort/pubsub.hpp"
#include "cohort/storage.hpp"
#include "cohort/store.hpp"
#include "cohort/token.hpp"

namespace cohort {

namespace metrics {
class Registry;  // internal (src/metrics/registry.hpp)
}

// A snapshot of the node's counters (any thread; relaxed reads, for dashboards).
struct NodeStats {
  std::uint64_t connections_open = 0;  // TCP connections, HTTP and WebSocket
  std::uint64_t websockets_open = 0;
  std::uint64_t messages_in = 0;       // WebSocket messages received since start
  std::uint64_t frames_out = 0;        // WebSocket frames queued for sending since start
};

class Node {
 public:
  explicit Node(Config config);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // A Phoenix socket at path (e.g. "/socket"); its WebSocket is at path + "/websocket".
  SocketEndpoint& socket(std::string path);
  // Requests with this method whose path matches pattern go to handler. A pattern is a list of
  // whole segments: literals, ":name" (one segment, its decoded value in request.params) and a
  // last "*name" (the remaining segments joined with '/'): "/api/broadcast/:topic" answers
  // "/api/broadcast/room%3Alobby" with params {"topic": "room:lobby"}, never "/apiary".
  // Every path is decoded once: a malformed escape is answered 400 before any route runs.
  // Routes are tried in the order added; unmatched GETs fall through to the static files.
  // Throws std::invalid_argument for a malformed pattern.
  void route(std::string method, std::string pattern, HttpHandler handler);
  void route_async(std::string method, std::string pattern, AsyncHttpHandler handler);
  // An operator route (metrics and the like): served as is by the admin listener
  // (Config::admin_port, loopback by default), and on the main port only to a request with an
  // API token of role "metrics" (Authorization: Bearer; 401 without one, 403 without the role).
  void admin_route(std::string method, std::string pattern, HttpHandler handler);
  // An operator page (the admin dashboard, docs/operations.md): GET requests for pattern are
  // answered by on_admin on the admin listener and by on_main on the main port, which decides
  // who may see it (e.g. only a visitor with role "admin"). For an operator page that goes live,
  // admin_socket(path) serves the socket added with socket(path) on the admin listener too
  // (the main port serves it anyway); the admin listener also serves Cohort's page assets
  // (/assets/...) for such pages, and nothing else of the static directory.
  void admin_page(std::string pattern, AsyncHttpHandler on_admin, AsyncHttpHandler on_main);
  void admin_socket(std::string path);

  // POST <pattern> (a route with ":topic", e.g. "/api/broadcast/:topic"), optional ?event=E
  // (default "shout"): broadcasts the JSON body's "payload" (or the whole body, an object) to
  // the topic. Needs `Authorization: Bearer <api token>` of role "publish" whose topic patterns
  // allow the topic (401 / 403 otherwise; `cohort token --roles publish`). Events the server
  // owns (phx_*, presence_*) and store topics are refused with 403; the body is parsed within
  // json_max_depth and json_max_bytes (400, 413).
  void broadcast_api(std::string pattern);

  std::optional<std::string> start();

  // `cohort check`, instead of start(), once the app has defined its store kinds: opens the
  // configured storage without serving, checks its structure, and loads every stored key the way
  // a first use would (kind, limits, every op replayed onto the snapshot). report() is called once
  // per key, with its version or why it does not load. Returns an error when the storage cannot be
  // opened, listed or is structurally damaged (report() may have been called for some keys).
  struct KeyReport {
    std::string key;
    std::uint64_t version = 0;
    std::optional<std::string> error;
  };
  std::optional<std::string> check_storage(const std::function<void(const KeyReport&)>& report);
  void stop_on_signals();
  void wait();
  void stop();  // any-thread; called again, it ends the shutdown_unready_ms wait at once

  std::uint16_t port() const;  // the bound port (after start)
  std::uint16_t admin_port() const;  // the admin listener's bound port, 0 when there is none
  // The node's name in its status (GET /admin/status's "node"), on the admin dashboard and to
  // the other nodes of its cluster: "<host>:<port>". After start() (empty before); any thread.
  const std::string& name() const;
  // "https" when the node serves TLS (Config::tls_cert), else "http".
  const char* scheme() const;
  PubSub& pubsub();
  Presence& presence();
  // Define store kinds before start(); use from reactor threads afterwards.
  Stores& stores();
  // The embedded storage (valid after start()): register commit hooks here, before the first
  // op, to write an application's own tables in the same transaction as each op.
  Storage& storage();
  // Signs and verifies tokens with the node's secret (valid after start()).
  const TokenSigner& signer() const;
  // A token of kind socket, signed with the node's secret and valid for ttl: the credential a
  // JavaScript client of the stores joins with (the "token" join param of store:* topics;
  // clients/js, docs/js-client.md). claims: "sub" (the actor id the stores see), "roles" (an
  // array of role names), "name" (what others are shown); "kind" and "exp" are set here. Only
  // the server decides them: hand a visitor a token for who Live::identity says they are, never
  // for claims the request asserts. After start() (throws std::logic_error before); any thread.
  std::string issue_token(JsonObject claims, std::chrono::seconds ttl) const;
  // Whether request comes from one of the node's own pages: its Origin header is absent (not a
  // browser, or a same-origin GET, for which browsers send none) or names the node itself (the
  // request's scheme and Host, or Config::public_url). Config::allowed_origins does not count.
  // For routes that hand a visitor a credential. After start(); any thread.
  bool same_origin(const HttpRequest& request) const;
  // The channel for topics "store:<kind>:<id>": add it to a socket as channel("store:*", ...).
  ChannelFactory store_channels();
  const Config& config() const;
  NodeStats stats() const;  // any-thread
  // Where GET /metrics collects from: the layers above the node (live views) add their figures
  // here. Internal to Cohort: its type is not part of the public headers.
  metrics::Registry& metrics_registry();
  // Adds a section named name to the node's status (GET /admin/status, an operator route, and the
  // admin dashboard /admin): once a second fn's value is its content. fn runs on a reactor thread
  // and must not block: read atomics or data that no longer changes. Before start().
  // The live layer adds "live" (live views open per page); an app may add its own figures.
  void status_section(std::string name, std::function<Json()> fn);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort
