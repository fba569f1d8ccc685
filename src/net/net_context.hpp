// net_context.hpp — what every connection of a node shares: settings, routes, counters.
//
// Owns: the node's read-only routing tables (upgrade paths, LongPoll paths, HTTP routes, static files), the
// Host/Origin policy, the trusted proxies, the per-reactor connection registries, the per-address
// connection limits and the metrics. Lock story: the tables are written once
// before the reactors start and only read afterwards, so they need no lock; counters are
// atomics (relaxed: they are statistics, never used to synchronise); registries[i] and
// poll_sessions[i] are owner-thread-only to reactor i; addresses has its own lock (address_limits.hpp).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/config.hpp"
#include "cohort/http.hpp"
#include "net/address_limits.hpp"
#include "net/client_address.hpp"
#include "metrics/bounded_gauges.hpp"
#include "metrics/histogram.hpp"
#include "net/limit_counters.hpp"
#include "net/origin_policy.hpp"
#include "net/route_pattern.hpp"
#include "net/static_files.hpp"

namespace boost::asio::ssl {
class context;
}

namespace cohort::net {

class WsHandler;
class WsRegistry;
class LongPollSessions;

// Counters bumped per message live per reactor, each block on its own cache line, written only
// by its reactor (a plain load + store, no locked instruction); readers sum them.
struct alignas(64) HotCounters {
  std::atomic<std::uint64_t> messages_in{0};  // WebSocket messages received
  std::atomic<std::uint64_t> frames_out{0};   // WebSocket frames queued for sending
  std::atomic<std::uint64_t> writes{0};       // gathered socket writes
  std::atomic<std::int64_t> outbound_bytes{0};  // queued for sending on this reactor's sockets now
};

// Owner-thread-only increment of a per-reactor counter.
inline void bump(std::atomic<std::uint64_t>& counter) {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// A socket's outbound queue size that keeps its reactor's share of cohort_outbound_queue_bytes
// (HotCounters::outbound_bytes) equal to the sum over the reactor's sockets: each change is
// added to the cell too (owner-thread-only, a plain load + store), and what is left when the
// socket goes is taken back.
class OutboundBytes {
 public:
  explicit OutboundBytes(std::atomic<std::int64_t>& cell) : cell_(cell) {}
  OutboundBytes(const OutboundBytes&) = delete;
  OutboundBytes& operator=(const OutboundBytes&) = delete;
  ~OutboundBytes() { change(-static_cast<std::int64_t>(bytes_)); }
  operator std::size_t() const { return bytes_; }
  OutboundBytes& operator+=(std::size_t n) {
    change(static_cast<std::int64_t>(n));
    return *this;
  }
  OutboundBytes& operator-=(std::size_t n) {
    change(-static_cast<std::int64_t>(n));
    return *this;
  }
  OutboundBytes& operator=(std::size_t n) {
    change(static_cast<std::int64_t>(n) - static_cast<std::int64_t>(bytes_));
    return *this;
  }

 private:
  void change(std::int64_t delta) {
    bytes_ = static_cast<std::size_t>(static_cast<std::int64_t>(bytes_) + delta);
    cell_.store(cell_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  std::atomic<std::int64_t>& cell_;
  std::size_t bytes_ = 0;
};

// WebSocket close frames the node sent, by code (cohort_websocket_closes_sent_total{code}).
struct CloseCodes {
  static constexpr std::array<std::uint16_t, 8> kCodes = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011};
  std::array<std::atomic<std::uint64_t>, kCodes.size() + 1> sent{};  // the last: any other code
  void count(std::uint16_t code) {
    std::size_t i = 0;
    while (i < kCodes.size() && kCodes[i] != code) ++i;
    sent[i].fetch_add(1, std::memory_order_relaxed);
  }
};

// LongPoll sessions (long_poll_session.hpp): open now, polls answered, messages sent in them,
// sessions dropped for want of a poll or for a full buffer, server binary messages a LongPoll
// client cannot be given.
struct LongPollCounters {
  std::atomic<std::uint64_t> sessions_open{0};
  std::atomic<std::uint64_t> polls{0};
  std::atomic<std::uint64_t> messages_out{0};
  std::atomic<std::uint64_t> dropped_timeout{0};
  std::atomic<std::uint64_t> dropped_overflow{0};
  std::atomic<std::uint64_t> binary_dropped{0};
};

struct Metrics {
  static constexpr unsigned kMaxReactors = 64;
  std::atomic<std::uint64_t> connections_open{0};   // TCP connections (HTTP + WebSocket)
  std::atomic<std::uint64_t> websockets_open{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections
  std::atomic<std::uint64_t> http_requests{0};
  HotCounters hot[kMaxReactors];
  std::uint64_t sum(std::atomic<std::uint64_t> HotCounters::*counter) const {
    std::uint64_t n = 0;
    for (const auto& h : hot) n += (h.*counter).load(std::memory_order_relaxed);
    return n;
  }
  std::atomic<std::uint64_t> slow_consumer_closes{0};
  std::atomic<std::uint64_t> protocol_closes{0};     // closed for bad framing or bad messages
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  LimitCounters limits;  // per-client limits: refusals and closes (limit_counters.hpp)
  LongPollCounters long_poll;
  CloseCodes close_codes;
  // Channels (channels/channel_socket.cpp): phx_join to its reply; channels joined now by topic class.
  metrics::Histogram join_seconds{metrics::kLatencyBounds, metrics::kNanoseconds};
  metrics::BoundedGauges channels_by_class;
};

// A WebSocket upgrade request, as the handler of its path sees it.
// Which listener a connection came in on. The main one serves the application; the admin one
// (admin_port) only the operator routes and pages (Node::admin_page: with the sockets they go
// live on and Cohort's page assets under /assets/) and /healthz; the redirect one (tls_redirect_port)
// answers everything with a redirect to https://.
enum class Surface : unsigned { main = 1, admin = 2, redirect = 4 };

struct UpgradeRequest {
  std::string_view path;
  std::string_view query;      // raw, without '?'
  std::string_view protocols;  // the Sec-WebSocket-Protocol header, may be empty
  std::string peer;
  Surface surface = Surface::main;  // the listener it came in on
};

// The answer: accept (status 101) with a handler, or refuse with an HTTP status and a body.
struct UpgradeDecision {
  unsigned status = 101;
  std::string body;
  std::string protocol;  // the subprotocol to select, or empty
  std::unique_ptr<WsHandler> handler;
};
using UpgradeHandler = std::function<UpgradeDecision(const UpgradeRequest&)>;

// A LongPoll request (GET, POST or OPTIONS at a socket's path + "/longpoll"), as the handler of
// its path sees it. The views live until the handler returns; the handler copies what it keeps.
struct LongPollRequest {
  std::string_view method;
  std::string_view query;          // raw, without '?'
  std::string_view body;
  std::string_view auth_token;     // X-Phoenix-AuthToken (raw), may be empty
  std::string_view session_token;  // x-phoenix-longpoll-token, may be empty
  std::string_view origin;         // may be empty
  bool origin_allowed = true;      // the same check as a WebSocket upgrade's (origin_policy.hpp)
  std::string_view request_headers;  // Access-Control-Request-Headers (OPTIONS)
  AddressKey client;               // who the request is from (behind trusted proxies: the client)
  std::string peer;                // "address:port" of the TCP peer
};
// The answer: any thread may call it, once; it is written on the request's own reactor.
using LongPollAnswer = std::function<void(HttpResponse)>;
using LongPollHandler = std::function<void(const LongPollRequest&, LongPollAnswer)>;

// Exactly one of handler / async_handler is set. surfaces: a mask of Surface values.
struct HttpRoute {
  std::string method;
  RoutePattern pattern;
  HttpHandler handler;
  AsyncHttpHandler async_handler;
  unsigned surfaces = static_cast<unsigned>(Surface::main);
  bool on(Surface s) const { return surfaces & static_cast<unsigned>(s); }
};

struct UpgradeRoute {
  RoutePattern pattern;
  UpgradeHandler handler;
  unsigned surfaces = static_cast<unsigned>(Surface::main);  // a mask of Surface values
};

struct LongPollRoute {
  RoutePattern pattern;
  LongPollHandler handler;
};

struct NetContext {
  // Both in ws_connection.cpp, where WsRegistry is complete.
  explicit NetContext(const Config& c);
  ~NetContext();
  const Config& config;
  std::uint16_t port = 0;  // the main listener's bound port
  std::shared_ptr<boost::asio::ssl::context> tls;  // set: the main listener speaks TLS (net/tls.hpp)
  StaticFiles static_files;
  OriginPolicy policy;
  TrustedProxies trusted_proxies;  // built at start from Config::trusted_proxies
  AddressLimits addresses;         // per client address: open connections, new ones per second
  std::vector<UpgradeRoute> upgrades;
  std::vector<HttpRoute> routes;  // tried in order
  std::vector<LongPollRoute> long_polls;  // a socket's path + "/longpoll"
  std::vector<std::unique_ptr<WsRegistry>> registries;  // index = reactor index
  std::vector<std::unique_ptr<LongPollSessions>> poll_sessions;  // index = reactor index
  Metrics metrics;
  std::atomic<bool> stopping{false};
};

}  // namespace cohort::net
