// node.cpp — the composition root: wires reactors, listeners, PubSub, Presence, stores,
// storage and socket endpoints.
//
// Owns: the start-up order (validate, data-dir lock, secret, storage, bind the listener, start
// threads), the periodic sweep of each reactor (idle sockets, overdue close handshakes), the
// shutdown sequence (stop accepting, close WebSockets with 1001, wait up to
// shutdown_grace_ms, stop) and the teardown order (storage flushed before the reactors go).
#include "cohort/node.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <openssl/rand.h>
#include <random>
#include <stdexcept>

#include "channels/channel_socket.hpp"
#include "cluster/cluster.hpp"
#include "cluster/cluster_stores.hpp"
#include "net/listener.hpp"
#include "net/reactor.hpp"
#include "net/ws_connection.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"
#include "storage/data_dir_lock.hpp"
#include "storage/sqlite_storage.hpp"
#include "store/local_stores.hpp"
#include "store/store_channel.hpp"

namespace cohort {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr auto kSweepInterval = std::chrono::milliseconds(250);

std::string default_static_dir() {
  // The binary lives in <source>/build; the pages live in <source>/static.
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (auto dir : {exe.parent_path().parent_path() / "static", std::filesystem::current_path(ec) / "static"})
    if (std::filesystem::is_directory(dir, ec)) return dir.string();
  return {};
}

// The node's token secret: <data_dir>/secret, created (32 random bytes, hex, mode 0600) when absent.
std::optional<std::string> load_secret(const std::string& data_dir) {
  auto path = std::filesystem::path(data_dir) / "secret";
  std::ifstream in(path);
  std::string secret;
  if (in && std::getline(in, secret) && !secret.empty()) return secret;
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : raw) {
    secret.push_back(kHex[b >> 4]);
    secret.push_back(kHex[b & 15]);
  }
  std::ofstream out(path, std::ios::trunc);
  if (!(out << secret << "\n")) return std::nullopt;
  out.close();
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return secret;
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
                                                     config.presence_max_stretch)),
        stores(std::make_unique<store::LocalStores>(*reactors, *pubsub, nullptr)),
        routed(std::make_unique<cluster::ClusterStores>(*stores)) {}

  ~Impl() {
    shutdown();
    sweepers.clear();
    signals.reset();  // the signal set belongs to reactor 0's io_context
    listeners.clear();
    net.registries.clear();  // their round timers belong to the reactors' io_contexts
    cluster.reset();   // its links and timers belong to reactor 0's io_context
    storage.reset();   // flushes what is queued (its callbacks only post to the stopped reactors)
    presence.reset();  // shard timers belong to the reactors' io_contexts: they go first
    routed.reset();    // after the cluster: its links' last callbacks still route store calls
    stores.reset();
    reactors.reset();  // destroys pending handlers (and the connections they own)
  }

  void sweep(unsigned i) {
    sweepers[i]->expires_after(kSweepInterval);
    sweepers[i]->async_wait([this, i](error_code ec) {
      if (ec) return;
      net.registries[i]->sweep(net::Clock::now());
      sweep(i);
    });
  }

  void shutdown();

  Config config;
  net::NetContext net;
  std::unique_ptr<net::ReactorSet> reactors;
  std::unique_ptr<pubsub::LocalPubSub> pubsub;
  std::unique_ptr<presence::Tracker> presence;
  std::unique_ptr<store::LocalStores> stores;
  std::unique_ptr<cluster::ClusterStores> routed;  // what Node::stores() gives: local, or per key owner
  std::optional<storage::DataDirLock> data_dir_lock;  // SQLite only; outlives storage (declared first)
  std::unique_ptr<Storage> storage;
  std::unique_ptr<cluster::Cluster> cluster;  // null when the node runs alone
  TokenSigner signer{""};
  std::vector<std::unique_ptr<SocketEndpoint>> endpoints;  // stable addresses for the handlers
  std::vector<std::shared_ptr<net::Listener>> listeners;
  std::vector<std::unique_ptr<asio::steady_timer>> sweepers;
  std::unique_ptr<asio::signal_set> signals;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  std::mutex mutex;
  std::condition_variable cv;
  bool stop_requested = false;
};

void Node::Impl::shutdown() {
  if (!started || stopped) return;
  stopped = true;
  net.stopping = true;
  for (auto& l : listeners) l->stop();
  for (unsigned i = 0; i < reactors->size(); ++i)
    reactors->at(i).post([this, i] {
      net.registries[i]->close_all(net::ws::CloseCode::going_away, "server shutting down");
      if (i == 0 && signals) signals->cancel();  // the signal set lives on reactor 0
    });
  // Wait for the close handshakes (each is bounded by the sweep's close deadline).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.shutdown_grace_ms);
  std::unique_lock lock(mutex);
  while (net.metrics.websockets_open.load() > 0 && std::chrono::steady_clock::now() < deadline)
    cv.wait_for(lock, std::chrono::milliseconds(10));
  lock.unlock();
  if (cluster) cluster->leave(std::chrono::milliseconds(500));  // the others drop our presences now
  reactors->stop();
  reactors->join();
}

Node::Node(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Node::~Node() = default;

SocketEndpoint& Node::socket(std::string path) {
  impl_->endpoints.push_back(std::make_unique<SocketEndpoint>(std::move(path)));
  return *impl_->endpoints.back();
}

void Node::route(std::string method, std::string prefix, HttpHandler handler) {
  impl_->net.routes.push_back({std::move(method), std::move(prefix), std::move(handler), {}});
}

void Node::route_async(std::string method, std::string prefix, AsyncHttpHandler handler) {
  impl_->net.routes.push_back({std::move(method), std::move(prefix), {}, std::move(handler)});
}

PubSub& Node::pubsub() { return *impl_->pubsub; }
Stores& Node::stores() { return *impl_->routed; }
Storage& Node::storage() {
  if (!impl_->storage) throw std::logic_error("Node::storage() before start()");
  return *impl_->storage;
}
const TokenSigner& Node::signer() const { return impl_->signer; }
ChannelFactory Node::store_channels() { return store::store_channel_factory(*impl_->routed, impl_->signer); }
Presence& Node::presence() { return *impl_->presence; }
const Config& Node::config() const { return impl_->config; }

NodeStats Node::stats() const {
  const auto& m = impl_->net.metrics;
  return NodeStats{m.connections_open.load(std::memory_order_relaxed), m.websockets_open.load(std::memory_order_relaxed),
                   m.sum(&net::HotCounters::messages_in), m.sum(&net::HotCounters::frames_out)};
}
std::uint16_t Node::port() const { return impl_->port; }

std::optional<std::string> Node::start() {
  auto& d = *impl_;
  if (auto err = d.config.validate()) return err;
  std::error_code fs_ec;
  std::filesystem::create_directories(d.config.data_dir, fs_ec);
  if (fs_ec) return "cannot create data directory " + d.config.data_dir + ": " + fs_ec.message();
  if (d.config.storage.empty()) {  // one node per SQLite store: see storage/data_dir_lock.hpp
    std::string lock_error;
    d.data_dir_lock = storage::DataDirLock::acquire(d.config.data_dir, lock_error);
    if (!d.data_dir_lock) return lock_error;
  }
  d.net.static_dir = d.config.static_dir.empty() ? default_static_dir() : d.config.static_dir;
  auto secret = d.config.secret.empty() ? load_secret(d.config.data_dir) : std::optional<std::string>(d.config.secret);
  if (!secret) return "cannot read or create " + d.config.data_dir + "/secret";
  d.signer = TokenSigner(*secret);
  std::string storage_error;
  const StoreLimits limits = store_limits(d.config);
  d.storage = d.config.storage.empty() ? open_sqlite_storage(d.config.data_dir, storage_error, limits)
                                        : open_postgres_storage(d.config.storage, storage_error, limits);
  if (!d.storage) return storage_error;
  d.stores->set_storage(d.storage.get());
  d.stores->set_limits(limits);
  d.stores->set_snapshot_every(d.config.store_snapshot_every);

  d.pubsub->set_encoder(channels::encode_broadcast_frame);
  if (!d.config.cluster.empty()) {
    cluster::ClusterSettings cs{.url = d.config.cluster,
                                .heartbeat = std::chrono::milliseconds(d.config.cluster_heartbeat_ms),
                                .down_after = std::chrono::milliseconds(d.config.cluster_down_ms)};
    auto joined = cluster::Cluster::join(cs, *d.reactors, *d.pubsub, *d.presence);
    if (auto* err = std::get_if<std::string>(&joined)) return *err;
    d.cluster = std::move(std::get<std::unique_ptr<cluster::Cluster>>(joined));
    d.routed->attach(*d.cluster, d.storage.get(), /*shared_storage=*/!d.config.storage.empty(),
                     std::chrono::milliseconds(d.config.cluster_lease_ms),
                     std::chrono::milliseconds(d.config.cluster_key_idle_ms));
  }
  for (auto& ep : d.endpoints)
    d.net.upgrades[ep->path() + "/websocket"] = channels::make_upgrade_handler(*ep, *d.pubsub, *d.presence);
  route("GET", "/healthz", [](const HttpRequest&) { return HttpResponse::json(200, JsonObject{{"ok", true}}); });
  route("GET", "/metrics", [&m = d.net.metrics, &d](const HttpRequest&) {
    std::string body;
    auto line = [&](const char* name, const std::atomic<std::uint64_t>& v) {
      body += std::string("cohort_") + name + " " + std::to_string(v.load(std::memory_order_relaxed)) + "\n";
    };
    line("connections_open", m.connections_open);
    line("websockets_open", m.websockets_open);
    line("connections_refused_total", m.connections_refused);
    line("http_requests_total", m.http_requests);
    auto hot = [&](const char* name, std::atomic<std::uint64_t> net::HotCounters::*c) {
      body += std::string("cohort_") + name + " " + std::to_string(m.sum(c)) + "\n";
    };
    hot("messages_in_total", &net::HotCounters::messages_in);
    hot("frames_out_total", &net::HotCounters::frames_out);
    hot("socket_writes_total", &net::HotCounters::writes);
    line("slow_consumer_closes_total", m.slow_consumer_closes);
    line("protocol_closes_total", m.protocol_closes);
    if (d.cluster) body += "cohort_cluster_node_id " + std::to_string(d.cluster->node_id()) + "\n" + d.cluster->counters().text();
    return HttpResponse{200, "text/plain; version=0.0.4", std::move(body), {}};
  });

  error_code ec;
  std::string host = d.config.host == "localhost" ? "127.0.0.1" : d.config.host;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return "host '" + d.config.host + "' is not an IP address";
  std::uint16_t port = d.config.port;
  auto listener = std::make_shared<net::Listener>(*d.reactors, d.net);
  if (auto err = listener->open({address, port})) return err;
  d.port = listener->port();  // the bind picks the port when it was 0
  d.listeners.push_back(std::move(listener));
  for (unsigned i = 0; i < d.reactors->size(); ++i) {
    d.net.registries.push_back(std::make_unique<net::WsRegistry>(
        d.reactors->at(i), std::chrono::microseconds(d.config.flush_interval_us)));
    d.sweepers.push_back(std::make_unique<asio::steady_timer>(d.reactors->at(i).context()));
  }
  d.reactors->start();
  d.started = true;
  for (auto& l : d.listeners) l->start();
  if (d.cluster) d.cluster->start();
  for (unsigned i = 0; i < d.reactors->size(); ++i) d.reactors->at(i).post([&d, i] { d.sweep(i); });
  return std::nullopt;
}

void Node::stop_on_signals() {
  auto& d = *impl_;
  // Installed now, so a signal that comes before wait() is held by the set, not fatal.
  d.signals = std::make_unique<asio::signal_set>(d.reactors->at(0).context(), SIGINT, SIGTERM);
  d.reactors->at(0).post([this, &d] {
    d.signals->async_wait([this](error_code ec, int) {
      if (!ec) stop();
    });
  });
}

void Node::wait() {
  auto& d = *impl_;
  {
    std::unique_lock lock(d.mutex);
    d.cv.wait(lock, [&] { return d.stop_requested; });
  }
  d.shutdown();
}

void Node::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stop_requested = true;
  impl_->cv.notify_all();
}

}  // namespace cohort
