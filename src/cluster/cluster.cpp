// cluster.cpp — joining, wiring and leaving a cluster: see cluster.hpp.
#include "cluster/cluster.hpp"

#include <hiredis/hiredis.h>
#include <netdb.h>
#include <sys/socket.h>

#include <boost/url/parse.hpp>
#include <cstdio>
#include <future>
#include <optional>
#include <vector>

#include "auth/redact.hpp"
#include "auth/secret_file.hpp"
#include "log/log.hpp"

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

// text with every occurrence of password replaced: what Redis says is logged, and must never
// carry the password even if a server or proxy echoed it.
std::string scrub(std::string text, const std::string& password) {
  if (password.empty()) return text;
  for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at + 3))
    text.replace(at, password.size(), "***");
  return text;
}

// A refusal of our credentials (or their absence) said the way an operator can act on it.
std::string auth_error(const std::string& where, const RedisAuth& auth, std::string reply) {
  reply = scrub(std::move(reply), auth.password);
  if (auth.password.empty())
    return "cluster: " + where + " requires a password (" + reply +
           "): give it in --cluster (redis://:PASSWORD@HOST:PORT, or redis://USER:PASSWORD@... for an ACL "
           "user) or in --cluster-password-file";
  std::string who = auth.user.empty() ? "the password" : "user '" + auth.user + "' and its password";
  return "cluster: " + where + " refused " + who + ": " + reply;
}

// Sends AUTH on a blocking connection; an error message, or nothing when accepted (or not needed).
std::optional<std::string> authenticate(redisContext* c, const std::string& where, const RedisAuth& auth) {
  if (auth.password.empty()) return std::nullopt;
  std::vector<const char*> argv{"AUTH"};
  std::vector<std::size_t> lens{4};
  if (!auth.user.empty()) argv.push_back(auth.user.data()), lens.push_back(auth.user.size());
  argv.push_back(auth.password.data()), lens.push_back(auth.password.size());
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  std::optional<std::string> out;
  if (!r) out = "cluster: " + where + " did not answer AUTH: " + scrub(c->errstr, auth.password);
  else if (r->type == REDIS_REPLY_ERROR) out = auth_error(where, auth, std::string(r->str, r->len));
  if (r) freeReplyObject(r);
  return out;
}

// AUTH then INCR <prefix>node_ids on a short-lived blocking connection (we are not on a reactor
// yet). shown: the URL as it may be printed.
std::variant<std::uint32_t, std::string> claim_node_id(const RedisTarget& t, const std::string& shown,
                                                       const std::string& prefix) {
  const RedisAddress& a = t.address;
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout(a.host.c_str(), a.port, tv);
  std::string where = "redis at " + a.host + ":" + std::to_string(a.port);
  if (!c || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    return "cluster: cannot reach " + where + " (" + shown + "): " + why;
  }
  redisSetTimeout(c, tv);
  if (auto err = authenticate(c, where, t.auth)) {
    redisFree(c);
    return *err;
  }
  std::string key = prefix + "node_ids";
  auto* r = static_cast<redisReply*>(redisCommand(c, "INCR %b", key.data(), key.size()));
  std::variant<std::uint32_t, std::string> out = "cluster: INCR " + key + " failed at " + where;
  if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer <= 0xffffffffLL)
    out = static_cast<std::uint32_t>(r->integer);
  else if (r && r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOAUTH"))
    out = auth_error(where, t.auth, std::string(r->str, r->len));
  else if (r && r->type == REDIS_REPLY_ERROR)
    out = "cluster: INCR " + key + " at " + where + ": " + scrub(std::string(r->str, r->len), t.auth.password);
  if (r) freeReplyObject(r);
  redisFree(c);
  return out;
}

// The password from settings.password_file into target (which must not have one already).
std::optional<std::string> read_password_file(const ClusterSettings& settings, RedisTarget& target) {
  if (settings.password_file.empty()) {
    if (!target.auth.user.empty() && target.auth.password.empty())
      return "cluster: '" + auth::redact_url(settings.url) + "' names user '" + target.auth.user +
             "' but no password: give it as redis://USER:PASSWORD@... or in --cluster-password-file";
    return std::nullopt;
  }
  if (!target.auth.password.empty())
    return "cluster: the Redis password is given twice, in --cluster and in --cluster-password-file: keep one";
  std::string error;
  auto password = auth::read_private_file(settings.password_file, error);
  if (!password) return "cluster: --cluster-password-file: " + error;
  if (password->empty()) return "cluster: --cluster-password-file: " + settings.password_file + " is empty";
  target.auth.password = std::move(*password);
  return std::nullopt;
}

// Up to max bytes of text, control bytes and anything not ASCII shown as '?': a channel name
// comes from whoever published, and must not flood or forge log lines.
std::string printable(std::string_view text, std::size_t max = 120) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (text.size() > max) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace

std::variant<RedisTarget, std::string> parse_redis_url(std::string_view url) {
  const std::string text(url);  // NUL-terminated: Boost.URL 1.81 reads up to a NUL (net/query.hpp)
  const std::string shown = "'" + auth::redact_url(url) + "'";  // never a password
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return shown + " is not a URL (expected redis://HOST:PORT)";
  if (parsed->scheme() != "redis") return shown + " must start with redis://";
  if (parsed->host().empty()) return shown + " has no host";
  if (!parsed->path().empty() && parsed->path() != "/") return shown + ": paths (database numbers) are not supported";
  if (parsed->has_query() || parsed->has_fragment()) return shown + ": options are not supported";
  RedisTarget t;
  if (parsed->has_userinfo()) {
    t.auth.user = parsed->user();
    t.auth.password = parsed->password();
    if (parsed->has_password() && t.auth.password.empty()) return shown + " has an empty password";
  }
  RedisAddress& a = t.address;
  a.host = parsed->host_address();
  if (a.host.size() > 2 && a.host.front() == '[') a.host = a.host.substr(1, a.host.size() - 2);
  if (parsed->has_port()) {
    auto p = parsed->port_number();
    if (p == 0) return shown + " has a bad port";
    a.port = p;
  }
  return t;
}

std::variant<std::unique_ptr<Cluster>, std::string> Cluster::join(const ClusterSettings& settings,
                                                                 const ClusterKey& key,
                                                                 net::ReactorSet& reactors,
                                                                 pubsub::LocalPubSub& pubsub,
                                                                 presence::Tracker& tracker) {
  auto parsed = parse_redis_url(settings.url);
  if (auto* err = std::get_if<std::string>(&parsed)) return "cluster: " + *err;
  RedisTarget target = std::get<RedisTarget>(parsed);
  if (auto err = read_password_file(settings, target)) return *err;
  if (auto err = resolve(target.address.host)) return "cluster: " + *err;
  auto id = claim_node_id(target, auth::redact_url(settings.url), settings.prefix);
  if (auto* err = std::get_if<std::string>(&id)) return *err;
  return std::unique_ptr<Cluster>(
      new Cluster(settings, target, key, std::get<std::uint32_t>(id), reactors, pubsub, tracker));
}

Cluster::Cluster(const ClusterSettings& settings, const RedisTarget& target, const ClusterKey& key,
                 std::uint32_t node_id, net::ReactorSet& reactors, pubsub::LocalPubSub& pubsub,
                 presence::Tracker& tracker)
    : settings_(settings), node_id_(node_id), reactor_(reactors.at(0)),
      publisher_(reactor_, {.address = target.address, .auth = target.auth, .mode = RedisLink::Mode::command}),
      subscriber_(reactor_, {.address = target.address, .auth = target.auth, .mode = RedisLink::Mode::subscriber}),
      outbox_(publisher_, key, node_id), check_(key, node_id),
      redis_name_("redis at " + target.address.host + ":" + std::to_string(target.address.port)),
      redis_password_(target.auth.password),
      adapter_(reactor_, outbox_, subscriber_, pubsub, node_id, settings.prefix, counters_),
      replication_(reactor_, outbox_, tracker, node_id, settings.prefix + "cluster", settings.heartbeat,
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
  subscriber_.on_message([this](std::string_view channel, std::string_view payload) { receive(channel, payload); });
  publisher_.on_refused([this](std::string_view reason) { credentials_refused("publish", reason); });
  subscriber_.on_refused([this](std::string_view reason) { credentials_refused("subscribe", reason); });
}

void Cluster::receive(std::string_view channel, std::string_view payload) {
  Opened opened = check_.open(channel, payload, unix_ms());
  if (opened.verdict == SealVerdict::own) return;  // our own echo: delivered locally already
  if (opened.verdict != SealVerdict::accepted) return refuse(channel, opened);
  if (channel == control_channel_) replication_.on_control(opened.node, opened.body);
  else if (channel == inbox_channel_) {
    if (inbox_fn_) inbox_fn_(opened.body);
  }
  else if (adapter_.owns_channel(channel)) adapter_.on_message(channel, opened.node, opened.body);
}

void Cluster::refuse(std::string_view channel, const Opened& opened) {
  const char* why = "";
  switch (opened.verdict) {
    case SealVerdict::unsigned_message:
    case SealVerdict::bad_tag:
      bump(opened.verdict == SealVerdict::bad_tag ? counters_.dropped_bad_signature : counters_.dropped_unsigned);
      why = "a client of Redis without this cluster's secret, or a node started with another --secret "
            "(every node of a cluster needs the same one)";
      break;
    case SealVerdict::replayed:
      bump(counters_.dropped_replayed);
      why = "a copy of an earlier message, sent again";
      break;
    case SealVerdict::stale:
      bump(counters_.dropped_stale);
      why = "older than the freshness window: a replay, or the nodes' clocks disagree";
      break;
    case SealVerdict::accepted:
    case SealVerdict::own: return;
  }
  ++drops_unlogged_;
  auto now = std::chrono::steady_clock::now();
  if (drop_logged_ != std::chrono::steady_clock::time_point{} && now - drop_logged_ < kDropLogEvery) return;
  log::event(log::Category::cluster, log::Level::warn, "messages_dropped",
             {{"count", drops_unlogged_}, {"channel", printable(channel)}, {"verdict", verdict_name(opened.verdict)},
              {"why", why}});
  drop_logged_ = now;
  drops_unlogged_ = 0;
}

void Cluster::credentials_refused(std::string_view link, std::string_view reason) {
  bump(counters_.redis_auth_refused);
  auto now = std::chrono::steady_clock::now();
  if (refusal_logged_ != std::chrono::steady_clock::time_point{} && now - refusal_logged_ < kDropLogEvery) return;
  refusal_logged_ = now;
  log::event(log::Category::cluster, log::Level::error, "redis_auth_refused",
             {{"redis", redis_name_}, {"link", link}, {"reason", printable(scrub(std::string(reason), redis_password_))},
              {"retrying", true}});
}

void Cluster::update_links() {
  bool up = publisher_.connected() && subscriber_.connected();
  counters_.links_up.store((publisher_.connected() ? 1 : 0) + (subscriber_.connected() ? 1 : 0),
                           std::memory_order_relaxed);
  if (both_up_ && !up) {
    bump(counters_.link_downs);
    log::event(log::Category::cluster, log::Level::warn, "redis_link_down",
               {{"redis", redis_name_}, {"publisher_up", publisher_.connected()}, {"subscriber_up", subscriber_.connected()}});
  }
  if (!both_up_ && up) {
    log::event(log::Category::cluster, log::Level::info, "redis_link_up", {{"redis", redis_name_}, {"again", was_up_once_}});
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
