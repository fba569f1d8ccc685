// node.cpp — the composition root: wires reactors, listeners, PubSub, Presence, stores,
// storage and socket endpoints.
//
// Owns: the start-up order (validate, data-dir lock, secret, storage, bind the listener, start
// threads), the periodic sweep of each reactor (idle sockets, overdue close handshakes), the
// health routes (/healthz: the process answers; /readyz: readiness.hpp), the drain at shutdown
// (unready — still serving for shutdown_unready_ms, when set — then stop accepting, close
// WebSockets and LongPoll sessions with 1001 so clients reconnect elsewhere, wait for them and
// for every queued commit up to shutdown_grace_ms, then leave the cluster — its keys go to the
// others only once their ops are stored — and stop) and the teardown order (storage flushed
// before the reactors go).
#include "cohort/node.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <malloc.h>
#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>

#include "auth/api_auth.hpp"
#include "auth/secret_file.hpp"
#include "channels/channel_socket.hpp"
#include "channels/long_poll.hpp"
#include "net/client_json.hpp"
#include "metrics/registry.hpp"
#include "net/listener.hpp"
#include "net/net_metrics.hpp"
#include "net/long_poll_session.hpp"
#include "net/tls.hpp"
#include "net/reactor.hpp"
#include "net/runtime_files.hpp"
#include "net/ws_connection.hpp"
#include "node_cluster.hpp"
#include "node_log.hpp"
#include "log/log.hpp"
#include "node_status.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"
#include "readiness.hpp"
#include "storage/data_dir_lock.hpp"
#include "storage/sqlite_storage.hpp"
#include "storage/storage_counters.hpp"
#include "store/local_stores.hpp"
#include "store/store_metrics.hpp"
#include "store/store_channel.hpp"

namespace cohort {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(250);

// The static root: --static-dir, else the installed or source tree's static/ (runtime_files.hpp).
std::optional<std::string> static_root(const Config& config, std::string& error) {
  if (!config.static_dir.empty()) return config.static_dir;
  std::string tried;
  if (auto dir = net::find_runtime_dir("static", tried)) return dir;
  error = "no static files: looked in " + tried + "; install Cohort (cmake --install) or set --static-dir";
  return std::nullopt;
}

// A topic's presence is bounded so that its presence_state fits a joiner's outbound queue: half
// of it, the rest for the join reply, a diff and what else the joiner is sent meanwhile.
presence::PresenceLimits presence_limits(const Config& c, net::NetContext& net) {
  return presence::PresenceLimits{c.presence_max_meta_bytes, c.presence_max_topic_entries, c.outbound_queue_limit / 2,
                                  &net.metrics.limits};
}

net::RoutePattern pattern_of(std::string_view text) {
  std::string error;
  auto pattern = net::RoutePattern::parse(text, error);
  if (!pattern) throw std::invalid_argument(error);
  return std::move(*pattern);
}

constexpr unsigned surfaces(std::initializer_list<net::Surface> list) {
  unsigned mask = 0;
  for (auto s : list) mask |= static_cast<unsigned>(s);
  return mask;
}
}  // namespace

struct Node::Impl {
  explicit Impl(Config c)
      : config(std::move(c)),
        net(config),
        reactors(std::make_unique<net::ReactorSet>(config.reactor_count())),
        pubsub(std::make_unique<pubsub::LocalPubSub>(*reactors)),
        presence(std::make_unique<presence::Tracker>(*reactors, *pubsub, std::random_device{}(),
                                                     std::chrono::milliseconds(config.presence_tick_ms),
                                                     config.presence_max_stretch, presence_limits(config, net))),
        stores(std::make_unique<store::LocalStores>(*reactors, *pubsub, nullptr)),
        cluster(std::make_unique<NodeCluster>(*stores)),
        status(std::make_unique<NodeStatus>(
            NodeStatus::Parts{config, net, *reactors, *pubsub, *presence, *stores, *cluster})) {}

  ~Impl() {
    shutdown();
    sweepers.clear();
    readiness.stop();  // its timer belongs to reactor 0's io_context
    status.reset();  // its timer belongs to reactor 0's io_context
    signals.reset();  // the signal set belongs to reactor 0's io_context
    hangups.reset();  // so does this one
    listeners.clear();
    net.registries.clear();  // their round timers belong to the reactors' io_contexts
    net.poll_sessions.clear();  // so do the sessions' window timers
    cluster->stop();   // its links and timers belong to reactor 0's io_context
    stores->stop_loading();  // its reader thread uses the storage
    storage.reset();   // flushes what is queued (its callbacks only post to the stopped reactors)
    presence.reset();  // shard timers belong to the reactors' io_contexts: they go first
    cluster.reset();   // its stores after its links: their last callbacks still route store calls
    stores.reset();
    reactors.reset();  // destroys pending handlers (and the connections they own)
  }

  void sweep(unsigned i) {
    sweepers[i]->expires_after(kSweepInterval);
    sweepers[i]->async_wait([this, i](error_code ec) {
      if (ec) return;
      net.registries[i]->sweep(net::Clock::now());
      net.poll_sessions[i]->sweep(net::Clock::now());  // LongPoll sessions nobody polls
      if (i == 0) net.addresses.prune(net::Clock::now());  // addresses that hold nothing any more
      sweep(i);
    });
  }

  void shutdown();

  // shutdown_unready_ms: /readyz says draining while everything is still served, so a balancer
  // polling it stops sending new clients before the listeners close.
  void announce_unready() {
    if (config.shutdown_unready_ms == 0) return;
    log::event(log::Category::node, log::Level::info, "unready_before_drain",
               {{"unready_ms", static_cast<std::uint64_t>(config.shutdown_unready_ms)}});
    std::unique_lock lock(mutex);
    cv.wait_for(lock, std::chrono::milliseconds(config.shutdown_unready_ms), [this] { return hurry; });
  }

  // /healthz: the process answers. /readyz: 200 or 503 with the reasons; the admin listener's
  // also carries the storage's own error text (it may name paths and servers).
  void add_health_routes() {
    const unsigned both = surfaces({net::Surface::main, net::Surface::admin});
    net.routes.push_back({"GET", pattern_of("/healthz"),
                          [](const HttpRequest&) { return HttpResponse::json(200, JsonObject{{"ok", true}}); }, {}, both});
    for (bool admin : {false, true})
      net.routes.push_back({"GET", pattern_of("/readyz"), [this, admin](const HttpRequest&) { return readyz(admin); }, {},
                            surfaces({admin ? net::Surface::admin : net::Surface::main})});
  }

  HttpResponse readyz(bool admin) const {
    const auto verdict = readiness.verdict(cluster->ready_problem());
    boost::json::array reasons;
    for (const auto& r : verdict.reasons) reasons.emplace_back(r);
    JsonObject body{{"ready", verdict.ready}, {"reasons", std::move(reasons)}};
    if (admin && !verdict.detail.empty()) body["storage_error"] = verdict.detail;
    auto response = HttpResponse::json(verdict.ready ? 200 : 503, body);
    response.headers.emplace_back("Cache-Control", "no-store");
    return response;
  }

  // One node per SQLite store: held for the node's life (storage/data_dir_lock.hpp).
  std::optional<std::string> lock_data_dir() {
    if (!config.storage.empty()) return std::nullopt;
    std::string error;
    data_dir_lock = storage::DataDirLock::acquire(config.data_dir, error);
    if (!data_dir_lock) return error;
    return std::nullopt;
  }

  // Opens the configured storage and hands it, with the store settings, to the stores.
  std::optional<std::string> open_storage() {
    std::string error;
    const StoreLimits limits = store_limits(config);
    auto* counters = storage_counters.get();
    storage = config.storage.empty() ? storage::open_sqlite_recording(config.data_dir, error, limits, counters)
                                     : storage::open_postgres_recording(config.storage, error, limits, counters);
    if (!storage) return error;
    stores->set_storage(storage.get());
    stores->set_limits(limits);
    stores->set_snapshot_every(config.store_snapshot_every);
    stores->set_residency({config.store_max_keys, std::chrono::milliseconds(config.store_idle_ms)});
    stores->set_followed([ps = pubsub.get()](const std::string& key) { return ps->has_subscribers("store:" + key); });
    return std::nullopt;
  }

  // The C heap (glibc): bytes the node's objects hold, and free bytes the allocator keeps instead
  // of returning to the system. RSS far above in-use with much held free is allocator retention,
  // not a leak. mallinfo2 walks every arena under its lock: fine for a scrape, not a hot path.
  static void collect_heap(metrics::Scrape& s) {
    const struct mallinfo2 mi = mallinfo2();
    s.gauge("cohort_heap_in_use_bytes", "C heap bytes the node's objects hold (glibc mallinfo2).",
            static_cast<double>(mi.uordblks + mi.hblkhd));
    s.gauge("cohort_heap_free_held_bytes", "Free C heap bytes the allocator keeps instead of returning them.",
            static_cast<double>(mi.fordblks));
  }

  // The node's own layers in /metrics (docs/operations.md); live views add theirs at install,
  // and the logging layer its cohort_log_dropped_total, through Node::metrics_registry().
  void collect(metrics::Scrape& s) const {
    net::collect(net.metrics, s);
    pubsub->collect(s);
    presence->collect(s);
    store::collect(stores->counters(), s);
    if (storage_counters) storage::collect(*storage_counters, s);
    collect_heap(s);
    s.counter("cohort_log_dropped_total",
              "Log lines pushed out of the full log queue unwritten (the log never makes a reactor wait).",
              static_cast<double>(log::dropped()));
    cluster->collect(s);
  }

  Config config;
  net::NetContext net;
  std::unique_ptr<net::ReactorSet> reactors;
  std::unique_ptr<pubsub::LocalPubSub> pubsub;
  std::unique_ptr<presence::Tracker> presence;
  std::unique_ptr<store::LocalStores> stores;
  std::unique_ptr<NodeCluster> cluster;  // Node::stores(): local, or per key owner in a cluster
  // The storage's figures: outlive the storage, whose writer thread records them.
  std::unique_ptr<storage::StorageCounters> storage_counters = std::make_unique<storage::StorageCounters>();
  std::unique_ptr<NodeStatus> status;    // /admin/status and what the cluster hears of this node
  std::optional<storage::DataDirLock> data_dir_lock;  // SQLite only; outlives storage (declared first)
  std::unique_ptr<Storage> storage;
  Readiness readiness{std::chrono::milliseconds(config.ready_probe_ms),
                      std::chrono::milliseconds(config.ready_storage_timeout_ms)};
  metrics::Registry metrics_registry;  // what /metrics collects
  TokenSigner signer{""};
  // Names this node in LongPoll session tokens: a token of another node (or of this one before a
  // restart) is refused with 410 (channels/long_poll.hpp).
  std::string long_poll_node = std::to_string(std::random_device{}()) + "." + std::to_string(std::random_device{}());
  std::vector<std::unique_ptr<SocketEndpoint>> endpoints;  // stable addresses for the handlers
  std::vector<std::string> admin_sockets;  // socket paths the admin listener serves too (admin_socket)
  std::vector<std::shared_ptr<net::Listener>> listeners;
  std::vector<std::unique_ptr<asio::steady_timer>> sweepers;
  std::unique_ptr<asio::signal_set> signals;
  std::function<void(error_code, int)> on_signal;  // re-armed after each signal
  std::unique_ptr<asio::signal_set> hangups;  // SIGHUP: reopen the log file (watch_hangups)
  std::uint16_t port = 0;
  std::uint16_t admin_port = 0;
  bool started = false;
  bool stopped = false;
  std::mutex mutex;
  std::condition_variable cv;
  bool stop_requested = false;
  bool hurry = false;  // stop() again: skip what is left of shutdown_unready_ms
};

void Node::Impl::shutdown() {
  if (!started || stopped) return;
  stopped = true;
  readiness.set_draining();
  announce_unready();
  net.stopping = true;
  for (auto& l : listeners) l->stop();
  for (unsigned i = 0; i < reactors->size(); ++i)
    reactors->at(i).post([this, i] {
      net.registries[i]->close_all(net::ws::CloseCode::going_away, "server shutting down");
      net.poll_sessions[i]->close_all(net::ws::CloseCode::going_away, "server shutting down");
      if (i == 0 && signals) signals->cancel();  // the signal set lives on reactor 0
    });
  // Wait for the close handshakes (each is bounded by the sweep's close deadline).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.shutdown_grace_ms);
  std::unique_lock lock(mutex);
  while (net.metrics.websockets_open.load() > 0 && std::chrono::steady_clock::now() < deadline)
    cv.wait_for(lock, std::chrono::milliseconds(10));
  lock.unlock();
  // What the clients sent before their sockets closed is committed (or failed) before this
  // node's keys go to the others: the next owner then loads every acknowledged op.
  if (!readiness.drain_commits(*storage, deadline))
    log::event(log::Category::storage, log::Level::warn, "drain_commits_unfinished",
               {{"grace_ms", static_cast<std::uint64_t>(config.shutdown_grace_ms)}});
  cluster->leave(std::chrono::milliseconds(500));  // the others drop our presences now
  reactors->stop();
  reactors->join();
}

Node::Node(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Node::~Node() = default;

SocketEndpoint& Node::socket(std::string path) {
  impl_->endpoints.push_back(std::make_unique<SocketEndpoint>(std::move(path)));
  return *impl_->endpoints.back();
}


void Node::route(std::string method, std::string pattern, HttpHandler handler) {
  impl_->net.routes.push_back({std::move(method), pattern_of(pattern), std::move(handler), {}});
}

void Node::route_async(std::string method, std::string pattern, AsyncHttpHandler handler) {
  impl_->net.routes.push_back({std::move(method), pattern_of(pattern), {}, std::move(handler)});
}

void Node::admin_route(std::string method, std::string pattern, HttpHandler handler) {
  // On the main port the same handler, behind an API token of role "metrics" (401 / 403).
  HttpHandler guarded = [&signer = impl_->signer, handler](const HttpRequest& req) {
    if (auto refused = auth::refuse_api_call(req, signer, "metrics")) return std::move(*refused);
    return handler(req);
  };
  impl_->net.routes.push_back({method, pattern_of(pattern), std::move(guarded), {}, surfaces({net::Surface::main})});
  impl_->net.routes.push_back(
      {std::move(method), pattern_of(pattern), std::move(handler), {}, surfaces({net::Surface::admin})});
}

void Node::admin_page(std::string pattern, AsyncHttpHandler on_admin, AsyncHttpHandler on_main) {
  impl_->net.routes.push_back({"GET", pattern_of(pattern), {}, std::move(on_main), surfaces({net::Surface::main})});
  impl_->net.routes.push_back({"GET", pattern_of(pattern), {}, std::move(on_admin), surfaces({net::Surface::admin})});
}

void Node::admin_socket(std::string path) { impl_->admin_sockets.push_back(std::move(path)); }

PubSub& Node::pubsub() { return *impl_->pubsub; }
Stores& Node::stores() { return impl_->cluster->stores(); }
Storage& Node::storage() {
  if (!impl_->storage) throw std::logic_error("Node::storage() before start()");
  return *impl_->storage;
}
const TokenSigner& Node::signer() const { return impl_->signer; }
std::string Node::issue_token(JsonObject claims, std::chrono::seconds ttl) const {
  if (!impl_->started) throw std::logic_error("Node::issue_token() before start(): the node has no secret yet");
  return impl_->signer.sign(TokenKind::socket, std::move(claims), ttl);
}
bool Node::same_origin(const HttpRequest& request) const {
  return request.origin.empty() || impl_->net.policy.same_origin(request.origin, request.host);
}
ChannelFactory Node::store_channels() {
  return store::store_channel_factory(impl_->cluster->stores(), impl_->signer, &impl_->stores->counters().op_seconds);
}
metrics::Registry& Node::metrics_registry() { return impl_->metrics_registry; }
Presence& Node::presence() { return *impl_->presence; }
const Config& Node::config() const { return impl_->config; }

void Node::status_section(std::string name, std::function<Json()> fn) {
  impl_->status->add_section(std::move(name), std::move(fn));
}

NodeStats Node::stats() const {
  const auto& m = impl_->net.metrics;
  return NodeStats{m.connections_open.load(std::memory_order_relaxed), m.websockets_open.load(std::memory_order_relaxed),
                   m.sum(&net::HotCounters::messages_in), m.sum(&net::HotCounters::frames_out)};
}
std::uint16_t Node::port() const { return impl_->port; }
std::uint16_t Node::admin_port() const { return impl_->admin_port; }
const std::string& Node::name() const { return impl_->status->name(); }
const char* Node::scheme() const { return impl_->config.tls_cert.empty() ? "http" : "https"; }

std::optional<std::string> Node::start() {
  auto& d = *impl_;
  if (auto err = d.config.validate()) return err;
  if (auto err = configure_log(d.config)) return err;
  std::error_code fs_ec;
  std::filesystem::create_directories(d.config.data_dir, fs_ec);
  if (fs_ec) return "cannot create data directory " + d.config.data_dir + ": " + fs_ec.message();
  if (auto err = net::OriginPolicy::build(d.config, !d.config.tls_cert.empty(), d.net.policy)) return err;
  if (auto err = net::TrustedProxies::parse(d.config.trusted_proxies, d.net.trusted_proxies)) return err;
  if (!d.config.tls_cert.empty()) {
    std::string tls_error;
    d.net.tls = net::make_tls_context(d.config.tls_cert, d.config.tls_key, tls_error);
    if (!d.net.tls) return tls_error;
  }
  if (auto err = d.lock_data_dir()) return err;
  // Never served, even from inside the static root: the secret's directory, the TLS key.
  std::string error;
  auto root = static_root(d.config, error);
  if (!root) return error;
  d.net.static_files = net::StaticFiles(*root, {d.config.data_dir, d.config.tls_key});
  auto secret = auth::load_secret(d.config.secret, d.config.data_dir, /*create=*/true);
  if (!secret.error.empty()) return secret.error;
  if (auto err = d.open_storage()) return err;
  d.pubsub->set_encoder(channels::encode_broadcast_frame);
  // The cluster signs its messages with a key of its own, derived from the same secret.
  if (auto err = d.cluster->join(d.config, secret.secret, *d.reactors, *d.pubsub, *d.presence, d.storage.get()))
    return err;
  name_log_node(d.config, d.cluster->node_id());
  d.signer = TokenSigner(std::move(secret.secret));
  for (auto& ep : d.endpoints) {
    auto limits = channels::SocketLimits::from(d.config, d.net.metrics.limits);
    const bool admin = std::ranges::find(d.admin_sockets, ep->path()) != d.admin_sockets.end();
    d.net.upgrades.push_back({pattern_of(ep->path() + "/websocket"),
                              channels::make_upgrade_handler(*ep, *d.pubsub, *d.presence, limits),
                              admin ? surfaces({net::Surface::main, net::Surface::admin}) : surfaces({net::Surface::main})});
    d.net.long_polls.push_back(
        {pattern_of(ep->path() + "/longpoll"),
         channels::make_long_poll_handler(*ep, *d.pubsub, *d.presence, limits,
                                          {*d.reactors, d.net, d.signer, d.long_poll_node})});
  }
  d.add_health_routes();
  d.metrics_registry.add([&d](metrics::Scrape& s) { d.collect(s); });
  admin_route("GET", "/metrics", [&d](const HttpRequest&) {
    return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", d.metrics_registry.collect().text(), {}};
  });
  admin_route("GET", "/admin/status", [&d](const HttpRequest&) {
    auto body = d.status->body();  // the first sample is taken as the reactors start
    if (!body) return HttpResponse::json(503, JsonObject{{"error", "the first sample is not taken yet"}});
    return HttpResponse{200, "application/json", *body, {{"Cache-Control", "no-store"}}};
  });

  error_code ec;
  std::string host = d.config.host == "localhost" ? "127.0.0.1" : d.config.host;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return "host '" + d.config.host + "' is not an IP address";
  std::uint16_t port = d.config.port;
  auto listener = std::make_shared<net::Listener>(*d.reactors, d.net);
  if (auto err = listener->open({address, port})) return err;
  d.port = d.net.port = listener->port();  // the bind picks the port when it was 0
  d.listeners.push_back(std::move(listener));
  if (d.config.tls_redirect_port) {
    auto redirect = std::make_shared<net::Listener>(*d.reactors, d.net, net::Surface::redirect);
    if (auto err = redirect->open({address, d.config.tls_redirect_port})) return "TLS redirect listener: " + *err;
    d.listeners.push_back(std::move(redirect));
  }
  if (d.config.admin_port) {
    auto admin_address = asio::ip::make_address(d.config.admin_host == "localhost" ? "127.0.0.1" : d.config.admin_host, ec);
    if (ec) return "admin_host '" + d.config.admin_host + "' is not an IP address";
    auto admin = std::make_shared<net::Listener>(*d.reactors, d.net, net::Surface::admin);
    if (auto err = admin->open({admin_address, d.config.admin_port})) return "admin listener: " + *err;
    d.admin_port = admin->port();
    d.listeners.push_back(std::move(admin));
  }
  for (unsigned i = 0; i < d.reactors->size(); ++i) {
    d.net.registries.push_back(std::make_unique<net::WsRegistry>(
        d.reactors->at(i), std::chrono::microseconds(d.config.flush_interval_us)));
    d.net.poll_sessions.push_back(std::make_unique<net::LongPollSessions>());
    d.sweepers.push_back(std::make_unique<asio::steady_timer>(d.reactors->at(i).context()));
  }
  d.reactors->start();
  d.started = true;
  d.readiness.start(*d.storage, d.reactors->at(0).context());
  for (auto& l : d.listeners) l->start();
  d.cluster->start();
  d.status->start(d.storage.get(), d.port);
  for (unsigned i = 0; i < d.reactors->size(); ++i) d.reactors->at(i).post([&d, i] { d.sweep(i); });
  ListenAddresses listening{d.config.base_url(d.port), {}, {}};
  if (d.admin_port) listening.admin = "http://" + d.config.admin_host + ":" + std::to_string(d.admin_port);
  if (d.config.tls_redirect_port) listening.redirect = "http://" + d.config.host + ":" + std::to_string(d.config.tls_redirect_port);
  log_started(d.config, listening, d.cluster->node_id());
  return std::nullopt;
}

std::optional<std::string> Node::check_storage(const std::function<void(const KeyReport&)>& report) {
  auto& d = *impl_;
  if (auto err = d.config.validate()) return err;
  const auto db = std::filesystem::path(d.config.data_dir) / "cohort.db";
  if (d.config.storage.empty() && !std::filesystem::exists(db)) return "no database at " + db.string();
  if (auto err = d.lock_data_dir()) return err;  // a serving node holds it: check a stopped one
  if (auto err = d.open_storage()) return err;
  std::vector<std::string> keys;
  if (auto err = d.storage->keys(keys)) return err;
  for (const auto& key : keys) {
    auto checked = d.stores->check_key(key);
    report(KeyReport{key, checked.version, std::move(checked.error)});
  }
  return d.storage->check_structure();
}

namespace {
// SIGHUP reopens the log file (logrotate moved it) and keeps the node serving.
void watch_hangups(Node::Impl& d) {
  if (!d.hangups) d.hangups = std::make_unique<asio::signal_set>(d.reactors->at(0).context(), SIGHUP);
  d.reactors->at(0).post([&d] {
    d.hangups->async_wait([&d](error_code ec, int) {
      if (ec) return;
      log::reopen();
      log::event(log::Category::node, log::Level::info, "log_reopened", {{"signal", "SIGHUP"}});
      watch_hangups(d);
    });
  });
}
}  // namespace

void Node::stop_on_signals() {
  auto& d = *impl_;
  // Installed now, so a signal that comes before wait() is held by the set, not fatal.
  d.signals = std::make_unique<asio::signal_set>(d.reactors->at(0).context(), SIGINT, SIGTERM);
  // Every SIGINT/SIGTERM is a stop(): the first starts the shutdown, a second hurries it.
  d.on_signal = [this, &d](error_code ec, int signal) {
    if (ec) return;
    log_stop_requested(signal == SIGINT ? "SIGINT" : "SIGTERM");
    stop();
    d.signals->async_wait(d.on_signal);
  };
  d.reactors->at(0).post([&d] { d.signals->async_wait(d.on_signal); });
  watch_hangups(d);
}

void Node::wait() {
  auto& d = *impl_;
  {
    std::unique_lock lock(d.mutex);
    d.cv.wait(lock, [&] { return d.stop_requested; });
  }
  const auto draining = std::chrono::steady_clock::now();
  d.shutdown();
  log_stopped(std::chrono::steady_clock::now() - draining);
}

void Node::stop() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stop_requested) impl_->hurry = true;  // a second stop ends the unready wait
  impl_->stop_requested = true;
  impl_->cv.notify_all();
}

}  // namespace cohort
