// cluster.cpp — joining, wiring and leaving a cluster: see cluster.hpp.
#include "cluster/cluster.hpp"

#include <hiredis/hiredis.h>
#include <netdb.h>
#include <sys/socket.h>

#include <boost/url/parse.hpp>
#include <future>
#include <optional>

#include "auth/redact.hpp"

namespace cohort::cluster {

namespace {

// Keeps <prefix>node_ids at least our id, so that after a Redis restart (which forgets the
// counter) a new node does not get the id of a live one.
constexpr std::string_view kKeepIdAbove =
    "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 0";

// Resolves host to a numeric address once, off the reactors (hiredis would resolve on every
// reconnect, blocking the reactor). An error message, or nothing with host rewritten.
std::optional<std::string> resolve(std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || !res)
    return "cannot resolve redis host '" + host + "': " + gai_strerror(rc);
  char text[NI_MAXHOST];
  int rc = getnameinfo(res->ai_addr, res->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST);
  freeaddrinfo(res);
  if (rc != 0) return "cannot resolve redis host '" + host + "': " + gai_strerror(rc);
  host = text;
  return std::nullopt;
}

// INCR <prefix>node_ids on a short-lived blocking connection (we are not on a reactor yet).
std::variant<std::uint32_t, std::string> claim_node_id(const RedisAddress& a, const std::string& prefix) {
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout(a.host.c_str(), a.port, tv);
  std::string where = "redis at " + a.host + ":" + std::to_string(a.port);
  if (!c || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    return "cluster: cannot reach " + where + ": " + why;
  }
  redisSetTimeout(c, tv);
  std::string key = prefix + "node_ids";
  auto* r = static_cast<redisReply*>(redisCommand(c, "INCR %b", key.data(), key.size()));
  std::variant<std::uint32_t, std::string> out = "cluster: INCR " + key + " failed at " + where;
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer <= 0xffffffffLL)
    out = static_cast<std::uint32_t>(r->integer);
  else if (r && r->type == REDIS_REPLY_ERROR)
    out = "cluster: INCR " + key + ": " + std::string(r->str, r->len);
  if (r) freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace

std::variant<RedisAddress, std::string> parse_redis_url(std::string_view url) {
  const std::string text(url);  // NUL-terminated: Boost.URL 1.81 reads up to a NUL (net/query.hpp)
  const std::string shown = "'" + auth::redact_url(url) + "'";  // never a password
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return shown + " is not a URL (expected redis://HOST:PORT)";
  if (parsed->scheme() != "redis") return shown + " must start with redis://";
  if (parsed->host().empty()) return shown + " has no host";
  if (!parsed->path().empty() && parsed->path() != "/") return shown + ": paths are not supported";
  if (parsed->has_userinfo() || parsed->has_query()) return shown + ": user, password and options are not supported";
  RedisAddress a;
  a.host = parsed->host_address();
  if (a.host.size() > 2 && a.host.front() == '[') a.host = a.host.substr(1, a.host.size() - 2);
  if (parsed->has_port()) {
    auto p = parsed->port_number();
    if (p == 0) return shown + " has a bad port";
    a.port = p;
  }
  return a;
}

std::variant<std::unique_ptr<Cluster>, std::string> Cluster::join(const ClusterSettings& settings,
                                                                 net::ReactorSet& reactors,
                                                                 pubsub::LocalPubSub& pubsub,
                                                                 presence::Tracker& tracker) {
  auto parsed = parse_redis_url(settings.url);
  if (auto* err = std::get_if<std::string>(&parsed)) return "cluster: " + *err;
  RedisAddress address = std::get<RedisAddress>(parsed);
  if (auto err = resolve(address.host)) return "cluster: " + *err;
  auto id = claim_node_id(address, settings.prefix);
  if (auto* err = std::get_if<std::string>(&id)) return *err;
  return std::unique_ptr<Cluster>(
      new Cluster(settings, address, std::get<std::uint32_t>(id), reactors, pubsub, tracker));
}

Cluster::Cluster(const ClusterSettings& settings, RedisAddress address, std::uint32_t node_id,
                 net::ReactorSet& reactors, pubsub::LocalPubSub& pubsub, presence::Tracker& tracker)
    : settings_(settings), node_id_(node_id), reactor_(reactors.at(0)),
      publisher_(reactor_, {.address = address, .mode = RedisLink::Mode::command}),
      subscriber_(reactor_, {.address = address, .mode = RedisLink::Mode::subscriber}),
      adapter_(reactor_, publisher_, subscriber_, pubsub, node_id, settings.prefix, counters_),
      replication_(reactor_, publisher_, tracker, node_id, settings.prefix + "cluster", settings.heartbeat,
                   settings.down_after, counters_),
      control_channel_(settings.prefix + "cluster"), inbox_channel_(inbox(node_id)) {
  tracker.set_node_id(node_id);
  tracker.set_replication([this](const std::string& topic, std::shared_ptr<const JsonObject> diff) {
    replication_.local_diff(topic, std::move(diff));
  });
  pubsub.set_adapter(&adapter_);
  wire_links();
}

Cluster::~Cluster() = default;

void Cluster::wire_links() {
  publisher_.on_up([this] {
    std::string key = settings_.prefix + "node_ids";
    std::string id = std::to_string(node_id_);
    publisher_.command({"EVAL", kKeepIdAbove, "1", key, id});
    update_links();
  });
  subscriber_.on_up([this] {
    subscriber_.subscribe(std::vector<std::string>{control_channel_, inbox_channel_}, true);
    adapter_.resubscribe();
    update_links();
  });
  publisher_.on_down([this] { update_links(); });
  subscriber_.on_down([this] {
    adapter_.link_down();
    replication_.subscriber_down();
    update_links();
  });
  subscriber_.on_subscribed([this](std::string_view channel) { adapter_.on_subscribed(channel); });
  subscriber_.on_message([this](std::string_view channel, std::string_view payload) {
    if (channel == control_channel_) replication_.on_control(payload);
    else if (channel == inbox_channel_) {
      if (inbox_fn_) inbox_fn_(payload);
    }
    else if (adapter_.owns_channel(channel)) adapter_.on_message(channel, payload);
  });
}

void Cluster::update_links() {
  bool up = publisher_.connected() && subscriber_.connected();
  counters_.links_up.store((publisher_.connected() ? 1 : 0) + (subscriber_.connected() ? 1 : 0),
                           std::memory_order_relaxed);
  if (both_up_ && !up) bump(counters_.link_downs);
  if (!both_up_ && up) {
    replication_.links_up();
    // Store patches carry versions, so their clients can read again what they may have missed
    // while the links were down (other topics' broadcasts are at-most-once: nothing to resync).
    if (was_up_once_) adapter_.resync_when_subscribed("store:");
    was_up_once_ = true;
  }
  both_up_ = up;
}

void Cluster::start() {
  reactor_.post([this] {
    publisher_.start();
    subscriber_.start();
    replication_.start();
    if (lifecycle_fn_) lifecycle_fn_(true);
  });
}

void Cluster::set_store_hooks(std::function<void(std::string_view)> inbox, std::function<void(std::uint32_t)> node_down,
                              std::function<void(bool)> lifecycle) {
  inbox_fn_ = std::move(inbox);
  lifecycle_fn_ = std::move(lifecycle);
  replication_.on_node_gone(std::move(node_down));
}

void Cluster::leave(std::chrono::milliseconds grace) {
  auto said = std::make_shared<std::promise<void>>();
  auto done = said->get_future();
  reactor_.post([this, said] {
    if (lifecycle_fn_) lifecycle_fn_(false);
    replication_.stop();
    replication_.say_bye([said](const RedisValue&) { said->set_value(); });
  });
  done.wait_for(grace);
}

}  // namespace cohort::cluster
