// config.cpp — `cohort serve` settings: one table drives flags, environment and config file.
#include "cohort/config.hpp"

#include <sys/resource.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "auth/redact.hpp"
#include "config_shown.hpp"
#include "log/log.hpp"
#include "cohort/json.hpp"
#include "net/client_address.hpp"
#include "net/origin_policy.hpp"
#include "node_cluster.hpp"

namespace cohort {

namespace {

template <class T>
std::optional<std::string> parse_number(std::string_view text, T& out, T min, T max) {
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    return "'" + std::string(text) + "' is not a whole number";
  if (v < static_cast<unsigned long long>(min) || v > static_cast<unsigned long long>(max))
    return "'" + std::string(text) + "' is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  out = static_cast<T>(v);
  return std::nullopt;
}

// One setting: its key (config file), flag and environment variable follow from it:
// data_dir ↔ --data-dir ↔ COHORT_DATA_DIR.
struct Setting {
  std::string_view key;
  std::string_view help;
  std::function<std::optional<std::string>(Config&, std::string_view)> set;
  bool is_boolean = false;  // its flag may stand alone: --print-grant means --print-grant true
  // Its value as the start line of the log shows it: never a secret (config_shown.hpp).
  std::function<Json(const Config&)> show = nullptr;
};

template <class T>
Setting number(std::string_view key, std::string_view help, T Config::*field, T min, T max) {
  return {key, help, [=](Config& c, std::string_view v) { return parse_number(v, c.*field, min, max); }, false,
          [=](const Config& c) { return Json(c.*field); }};
}

Setting boolean(std::string_view key, std::string_view help, bool Config::*field) {
  return {key, help, [=](Config& c, std::string_view v) -> std::optional<std::string> {
            if (v == "true" || v == "1") c.*field = true;
            else if (v == "false" || v == "0") c.*field = false;
            else return "'" + std::string(v) + "' is not true or false";
            return std::nullopt;
          },
          true, [=](const Config& c) { return Json(c.*field); }};
}

Setting text(std::string_view key, std::string_view help, std::string Config::*field) {
  return {key, help,
          [=](Config& c, std::string_view v) -> std::optional<std::string> {
            c.*field = std::string(v);
            return std::nullopt;
          },
          false, [=](const Config& c) { return Json(c.*field); }};
}

// A text setting that is a secret: shown only as whether it is set.
Setting secret_text(std::string_view key, std::string_view help, std::string Config::*field) {
  Setting s = text(key, help, field);
  s.show = [=](const Config& c) { return Json((c.*field).empty() ? "" : "(set)"); };
  return s;
}

// A text setting whose value is checked by check (an error message, or nothing).
Setting checked_text(std::string_view key, std::string_view help, std::string Config::*field,
                     std::optional<std::string> (*check)(std::string_view)) {
  Setting s = text(key, help, field);
  s.set = [=](Config& c, std::string_view v) -> std::optional<std::string> {
    if (auto err = check(v)) return err;
    c.*field = std::string(v);
    return std::nullopt;
  };
  return s;
}

std::optional<std::string> check_log_format(std::string_view v) {
  if (log::parse_format(v)) return std::nullopt;
  return "'" + std::string(v) + "' is not a log format (text or json)";
}
std::optional<std::string> check_log_level(std::string_view v) {
  log::Thresholds t;
  return log::thresholds_of(v, "", t);
}
std::optional<std::string> check_log_levels(std::string_view v) {
  log::Thresholds t{};
  return log::parse_levels(v, t);
}

// A URL setting: empty, or a URL whose scheme is one of schemes and which names a host.
Setting url(std::string_view key, std::string_view help, std::string Config::*field,
            std::vector<std::string_view> schemes) {
  return {key, help, [=](Config& c, std::string_view v) -> std::optional<std::string> {
            if (!v.empty()) {
              const std::string text(v);  // NUL-terminated: Boost.URL 1.81 reads up to a NUL (net/query.hpp)
              const std::string shown = "'" + auth::redact_url(v) + "'";  // never the password
              auto parsed = boost::urls::parse_uri(text);
              if (!parsed) return shown + " is not a URL";
              bool known = false;
              for (auto s : schemes) known = known || parsed->scheme() == s;
              if (!known) return shown + " must start with " + std::string(schemes.front()) + "://";
              if (parsed->host().empty()) return shown + " has no host";
              if (parsed->has_port() && parsed->port_number() == 0) return shown + " has a bad port";
            }
            c.*field = std::string(v);
            return std::nullopt;
          },
          false, [=](const Config& c) { return Json(auth::redact_url(c.*field)); }};
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      text("host", "address to listen on (default 127.0.0.1)", &Config::host),
      number<std::uint16_t>("port", "TCP port, 0 = any free port (default 4000)", &Config::port, 0, 65535),
      number<unsigned>("threads", "reactor threads, 0 = one per core (default 0)", &Config::threads, 0, 64),
      text("data_dir", "directory for the embedded storage (default ./data)", &Config::data_dir),
      text("static_dir", "directory served at / (default: static/ of the source tree)", &Config::static_dir),
      number<std::size_t>("max_frame", "largest WebSocket message or HTTP body in bytes (default 1048576)",
                          &Config::max_frame, 1024, std::size_t{1} << 30),
      number<std::size_t>("outbound_queue_limit", "bytes queued for a slow client before it is closed (default 4194304)",
                          &Config::outbound_queue_limit, 4096, std::size_t{1} << 32),
      number<std::size_t>("max_connections", "open connections per node (default 18000)",
                          &Config::max_connections, 1, 10'000'000),
      // ---- Per client (docs/security.md) ----
      number<std::uint32_t>("socket_messages_per_s", "messages a socket may send per second; 0 = no limit (default 100)",
                            &Config::socket_messages_per_s, 0, 10'000'000),
      number<std::uint32_t>("socket_message_burst",
                            "messages a socket may send at once; a client that keeps sending after this many refusals is closed (default 200)",
                            &Config::socket_message_burst, 1, 10'000'000),
      number<std::uint32_t>("socket_max_channels", "channels joined on one socket (default 100)",
                            &Config::socket_max_channels, 1, 100'000),
      number<std::uint32_t>("socket_max_presences", "presence entries one socket may track (default 100)",
                            &Config::socket_max_presences, 1, 1'000'000),
      number<std::uint32_t>("socket_max_pending_replies", "replies one socket may be owed at once (default 100)",
                            &Config::socket_max_pending_replies, 1, 1'000'000),
      number<std::uint32_t>("ip_max_connections", "connections open from one address (IPv6: one /64); 0 = no limit (default 256)",
                            &Config::ip_max_connections, 0, 10'000'000),
      number<std::uint32_t>("ip_connections_per_s", "new connections per second from one address; 0 = no limit (default 50)",
                            &Config::ip_connections_per_s, 0, 10'000'000),
      number<std::uint32_t>("ip_connection_burst", "new connections one address may open at once (default 100)",
                            &Config::ip_connection_burst, 1, 10'000'000),
      text("trusted_proxies",
           "proxies whose X-Forwarded-For/Forwarded name the client: addresses and CIDRs, comma-separated (default none)",
           &Config::trusted_proxies),
      number<std::uint32_t>("presence_max_meta_bytes", "one presence entry, key and serialized meta, in bytes (default 1024)",
                            &Config::presence_max_meta_bytes, 64, 16u << 20),
      number<std::uint32_t>("presence_max_topic_entries", "presence entries of this node on one topic (default 20000)",
                            &Config::presence_max_topic_entries, 1, 10'000'000),
      number<std::uint32_t>("idle_timeout_ms", "close a socket silent for this long (default 60000)",
                            &Config::idle_timeout_ms, 100, 86'400'000),
      number<std::uint32_t>("longpoll_window_ms",
                            "how long a LongPoll poll waits for messages; a session unpolled for 1.5x this is dropped (default 10000)",
                            &Config::longpoll_window_ms, 100, 15'000),
      number<std::size_t>("max_header_bytes", "largest HTTP request head (default 16384)",
                          &Config::max_header_bytes, 1024, 1 << 20),
      secret_text("secret", "HMAC key of signed tokens, at least 32 bytes (default: <data-dir>/secret, created mode 0600 at first start)",
           &Config::secret),
      number<std::uint32_t>("grant_ttl_s", "a sign-in link works once, for this many seconds (default 600)",
                            &Config::grant_ttl_s, 10, 86'400),
      number<std::uint32_t>("role_ttl_s", "roles from a sign-in last this many seconds in the visitor's cookie (default 43200)",
                            &Config::role_ttl_s, 60, 30 * 86'400),
      boolean("print_grant", "also print the moderator sign-in link at start; it is always in <data-dir>/moderator-grant (default false)",
              &Config::print_grant),
      number<std::uint32_t>("flush_interval_us", "broadcast frames are written in rounds at most this far apart (default 2000)",
                            &Config::flush_interval_us, 0, 1'000'000),
      number<std::size_t>("deflate_min_bytes", "compress messages at least this big when the client offers permessage-deflate (default 512)",
                          &Config::deflate_min_bytes, 0, std::size_t{1} << 32),
      number<std::uint32_t>("presence_tick_ms", "presence changes are merged and published once per tick (default 50)",
                            &Config::presence_tick_ms, 1, 10'000),
      number<std::uint32_t>("presence_max_stretch",
                            "a topic of k keys publishes every tick x min(this, ceil(k / 1000)); 1 = never stretch (default 20)",
                            &Config::presence_max_stretch, 1, 1000),
      url("cluster", "redis://[[USER]:PASSWORD@]HOST:PORT of the cluster's Redis; empty = run alone (default empty)",
          &Config::cluster, {"redis"}),
      text("cluster_password_file", "file holding the Redis password (mode 0600), instead of the URL (default empty)",
           &Config::cluster_password_file),
      url("storage", "postgres://... shared store storage for a cluster; empty = SQLite in data_dir (default empty)",
          &Config::storage, {"postgres", "postgresql"}),
      number<std::uint32_t>("cluster_heartbeat_ms", "cluster heartbeat period (default 1000)",
                            &Config::cluster_heartbeat_ms, 10, 60'000),
      number<std::uint32_t>("cluster_down_ms", "a node silent this long is declared down (default 5000)",
                            &Config::cluster_down_ms, 30, 600'000),
      number<std::uint32_t>("cluster_lease_ms", "a store key owner's lease; the fail-over time (default 3000)",
                            &Config::cluster_lease_ms, 300, 600'000),
      number<std::uint32_t>("cluster_key_idle_ms", "a store key unused this long is given up by its owner (default 300000)",
                            &Config::cluster_key_idle_ms, 100, 86'400'000),
      text("templates_dir", "directory of live view templates (default: templates/ of the source tree)",
           &Config::templates_dir),
      text("assets_dir", "node_modules holding the phoenix and phoenix_live_view bundles (default: the source tree's)",
           &Config::assets_dir),
      number<std::uint32_t>("live_frame_ms", "a live view renders at most once per this interval (default 30)",
                            &Config::live_frame_ms, 1, 10'000),
      number<std::uint32_t>("live_event_wait_ms",
                            "an event's reply waits this long at most for the store ops it started (default 1000; 0: no wait)",
                            &Config::live_event_wait_ms, 0, 60'000),
      number<std::uint32_t>("live_session_ttl_s", "how long a page's signed live session is valid (default 1209600)",
                            &Config::live_session_ttl_s, 60, 31'536'000),
      number<std::uint32_t>("live_async_workers", "threads that run live views' async tasks (default 4)",
                            &Config::live_async_workers, 1, 256),
      number<std::uint32_t>("live_async_queue",
                            "async tasks that may wait for a worker; past it a task fails with overloaded (default 1000)",
                            &Config::live_async_queue, 1, 1'000'000),
      text("upload_dir", "directory of files being uploaded to live views (default <data-dir>/uploads)", &Config::upload_dir),
      number<std::size_t>("upload_max_temp_bytes",
                          "bytes all unconsumed live uploads of this node may hold at once (default 536870912)",
                          &Config::upload_max_temp_bytes, 0, std::size_t{1} << 40),
      number<std::uint32_t>("shutdown_grace_ms",
                            "how long shutdown waits for sockets to close and commits to finish (default 3000)",
                            &Config::shutdown_grace_ms, 0, 60'000),
      number<std::uint32_t>("shutdown_unready_ms",
                            "at SIGTERM, how long /readyz says draining while the node still serves, before the drain "
                            "(for load balancers that poll /readyz; a second signal skips it; default 0)",
                            &Config::shutdown_unready_ms, 0, 600'000),
      number<std::uint32_t>("ready_probe_ms", "how often /readyz's storage probe writes (default 250)",
                            &Config::ready_probe_ms, 10, 3'600'000),
      number<std::uint32_t>("ready_storage_timeout_ms",
                            "a storage probe unanswered this long makes the node unready (default 1000)",
                            &Config::ready_storage_timeout_ms, 10, 600'000),
      // ---- Logs (docs/operations.md) ----
      checked_text("log_format", "log lines as text (one readable line) or json (one object per line) (default text)",
                   &Config::log_format, check_log_format),
      checked_text("log_level", "write log lines at this level and above: trace, debug, info, warn, error or off (default info)",
                   &Config::log_level, check_log_level),
      checked_text("log_levels",
                   "per-category levels over --log-level, e.g. net=debug,cluster=warn (categories: node, net, channels, "
                   "presence, live, store, storage, cluster) (default none)",
                   &Config::log_levels, check_log_levels),
      text("log_file", "write the log to this file (created 0640; SIGHUP reopens it, for logrotate) instead of stderr (default: stderr)",
           &Config::log_file),
      boolean("access_log", "log every HTTP request and WebSocket/LongPoll session (category access) (default false)",
              &Config::access_log),
      number<std::uint32_t>("log_limit_per_s",
                            "lines per second of one event kind a client can provoke (limit refusals, slow-consumer closes); the rest are counted in one summary line (default 10)",
                            &Config::log_limit_per_s, 1, 1'000'000),
      text("node_name", "this node's name in log lines (default: the host name; in a cluster with the node id)",
           &Config::node_name),
      url("public_url", "the node's public origin, e.g. https://cohort.example.com behind a proxy: its host is answered, its origin may open WebSockets (default none)",
          &Config::public_url, {"http", "https"}),
      text("allowed_origins", "more origins allowed to open WebSockets, comma-separated, e.g. https://*.example.com (default none)",
           &Config::allowed_origins),
      text("allowed_hosts", "more Host names answered, comma-separated: name, name:port, *.example.com, or * for any (default: IP addresses and localhost only)", &Config::allowed_hosts),
      boolean("check_origin", "refuse browser WebSockets from other origins; false only for development (default true)",
              &Config::check_origin),
      text("tls_cert", "PEM certificate chain: serve HTTPS and wss:// (with --tls-key; default none)", &Config::tls_cert),
      text("tls_key", "PEM private key of --tls-cert (default none)", &Config::tls_key),
      number<std::uint16_t>("tls_redirect_port", "with TLS, plain HTTP on this port redirects to https:// (default 0 = none)",
                            &Config::tls_redirect_port, 0, 65535),
      number<std::uint16_t>("admin_port", "serve /metrics, /metrics/live, /admin, /admin/status and /healthz on admin_host:admin_port; the main port never serves them openly (default 0 = none)",
                            &Config::admin_port, 0, 65535),
      text("admin_host", "address of the admin listener (default 127.0.0.1)", &Config::admin_host),
      boolean("admin_dashboard", "the live admin dashboard at /admin: on the admin listener, and on the main port for visitors with role admin; false turns it off (default true)",
              &Config::admin_dashboard),
      number<std::uint32_t>("json_max_depth", "deepest nesting of JSON a client may send; deeper is refused (default 64)",
                            &Config::json_max_depth, 8, 1024),
      number<std::size_t>("json_max_bytes", "largest JSON text a client may send; larger is refused (default 1048576)",
                          &Config::json_max_bytes, 64, std::size_t{1} << 30),
      number<std::uint32_t>("form_max_depth", "most brackets in one live form field name, a[b][c] is 2 (default 32)",
                            &Config::form_max_depth, 1, 256),
      number<std::uint32_t>("store_max_depth", "deepest nesting a store state may reach; also used to load it (default 32)",
                            &Config::store_max_depth, 4, 512),
      number<std::uint32_t>("store_max_string_bytes", "longest string a store op may write (default 65536)",
                            &Config::store_max_string_bytes, 16, 64u << 20),
      number<std::uint32_t>("store_max_member_bytes", "longest object member name a store op may write (default 1024)",
                            &Config::store_max_member_bytes, 16, 1u << 20),
      number<std::uint32_t>("store_max_key_bytes", "longest store key <kind>:<id> (default 256)",
                            &Config::store_max_key_bytes, 8, 4096),
      number<std::uint32_t>("store_snapshot_every", "commits between snapshots of a store key (default 1000)",
                            &Config::store_snapshot_every, 1, 1'000'000),
      number<std::uint32_t>("store_idle_ms", "a store key unused and unfollowed this long leaves memory; in a cluster its lease too (default 60000)",
                            &Config::store_idle_ms, 100, 86'400'000),
      number<std::uint32_t>("store_max_keys", "store keys held in memory per node; beyond, the least recently used idle one leaves (default 10000)",
                            &Config::store_max_keys, 1, 100'000'000),
  };
  return table;
}

std::string flag_of(std::string_view key) {
  std::string f = "--" + std::string(key);
  for (auto& c : f)
    if (c == '_') c = '-';
  return f;
}

std::string env_of(std::string_view key) {
  std::string e = "COHORT_";
  for (char c : key) e.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return e;
}

// The node's settings followed by an app's extra ones (whose keys the caller keeps alive).
std::vector<Setting> with_extra(const std::vector<ExtraSetting>& extra) {
  std::vector<Setting> all = settings();
  for (const auto& e : extra)
    all.push_back({e.key, e.help, [&set = e.set](Config&, std::string_view v) { return set(v); }, e.is_boolean});
  return all;
}

const Setting* find_key(const std::vector<Setting>& table, std::string_view key) {
  for (const auto& s : table)
    if (s.key == key) return &s;
  return nullptr;
}

std::optional<std::string> apply(Config& c, const Setting& s, std::string_view value, std::string_view where) {
  if (auto err = s.set(c, value)) return std::string(where) + ": " + *err;
  return std::nullopt;
}

std::optional<std::string> load_file(const std::vector<Setting>& table, const std::string& path, Config& c) {
  std::ifstream in(path);
  if (!in) return "cannot read config file " + path;
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  Json doc = json::parse(ss.str(), ec);
  if (ec || !doc.is_object()) return "config file " + path + " is not a JSON object" + (ec ? ": " + ec.message() : "");
  for (const auto& [key, value] : doc.get_object()) {
    const Setting* s = find_key(table, key);
    if (!s) return "config file " + path + ": unknown key '" + std::string(key) + "'";
    std::string text;
    if (value.is_string()) text = value.get_string();
    else if (value.is_int64() || value.is_uint64() || (value.is_bool() && s->is_boolean)) text = json::serialize(value);
    else if (value.is_double())
      return "config file " + path + ": '" + std::string(key) + "' is " + json::serialize(value) +
             ", not a whole number";
    else return "config file " + path + ": '" + std::string(key) + "' must be a string or a number" +
                (s->is_boolean ? " or true/false" : "");
    if (auto err = apply(c, *s, text, "config file " + path + " key " + std::string(key))) return err;
  }
  return std::nullopt;
}

// Levels around a store op's value in the message that carries it: the message array, its
// payload, the op's args, and room for the containers an op's handler wraps a value in.
constexpr std::uint32_t kOpEnvelopeDepth = 8;

}  // namespace

std::string Config::base_url(std::uint16_t bound_port) const {
  if (!public_url.empty()) return public_url.back() == '/' ? public_url.substr(0, public_url.size() - 1) : public_url;
  bool v6 = host.find(':') != std::string::npos;
  return std::string(tls_cert.empty() ? "http://" : "https://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(bound_port);
}

unsigned Config::reactor_count() const {
  if (threads) return threads;
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

std::optional<std::string> Config::validate() const {
  if (host.empty()) return "host must not be empty";
  if (outbound_queue_limit < max_frame + 16)
    return "outbound_queue_limit (" + std::to_string(outbound_queue_limit) +
           ") must exceed max_frame (" + std::to_string(max_frame) +
           "): a client could never receive one full-size message";
  if (cluster_down_ms < 2 * cluster_heartbeat_ms)
    return "cluster_down_ms (" + std::to_string(cluster_down_ms) + ") must be at least twice cluster_heartbeat_ms (" +
           std::to_string(cluster_heartbeat_ms) + "): one late heartbeat would declare a live node down";
  if (!kClusterBuilt && !cluster.empty())
    return "cluster is set, but this Cohort was built without the cluster (COHORT_WITH_CLUSTER=OFF)";
  if (!kClusterBuilt && !storage.empty())
    return "storage is set, but this Cohort was built without PostgreSQL (COHORT_WITH_CLUSTER=OFF): it stores in SQLite";
  if (!cluster_password_file.empty() && cluster.empty())
    return "cluster_password_file is set but cluster is empty: the password is for the cluster's Redis";
  if (tls_cert.empty() != tls_key.empty())
    return "tls_cert and tls_key go together: give both PEM files (certificate chain and its key) or neither";
  if (tls_redirect_port && tls_cert.empty())
    return "tls_redirect_port redirects plain HTTP to https://: it needs tls_cert and tls_key";
  if (tls_redirect_port && tls_redirect_port == port)
    return "tls_redirect_port (" + std::to_string(tls_redirect_port) + ") must differ from port";
  if (json_max_depth < store_max_depth + kOpEnvelopeDepth)
    return "json_max_depth (" + std::to_string(json_max_depth) + ") must be at least store_max_depth (" +
           std::to_string(store_max_depth) + ") + " + std::to_string(kOpEnvelopeDepth) +
           ": a client could not send an op writing the deepest state a store accepts";
  if (form_max_depth + 2 > json_max_depth)
    return "form_max_depth (" + std::to_string(form_max_depth) + ") must be below json_max_depth (" +
           std::to_string(json_max_depth) + ") - 1: a decoded form must fit the JSON depth the node accepts";
  net::OriginPolicy policy;
  if (auto err = net::OriginPolicy::build(*this, !tls_cert.empty(), policy)) return err;
  net::TrustedProxies proxies;
  if (auto err = net::TrustedProxies::parse(trusted_proxies, proxies)) return err;
  if (presence_max_meta_bytes > outbound_queue_limit / 2)
    return "presence_max_meta_bytes (" + std::to_string(presence_max_meta_bytes) +
           ") must be at most half of outbound_queue_limit (" + std::to_string(outbound_queue_limit) +
           "): a topic's presence state is bounded by that half, and must hold one entry";
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && max_connections + 64 > lim.rlim_cur)
    return "max_connections (" + std::to_string(max_connections) + ") must stay below the process descriptor limit (" +
           std::to_string(lim.rlim_cur) + ") minus 64 for files and listeners";
  return std::nullopt;
}

std::optional<std::string> load_config(const std::vector<std::string>& args, Config& config,
                                       const std::vector<ExtraSetting>& extra) {
  for (auto e = extra.begin(); e != extra.end(); ++e)
    if (find_key(settings(), e->key) || std::any_of(extra.begin(), e, [&](const auto& x) { return x.key == e->key; }))
      return "the app's option '" + e->key + "' is defined twice, or is one of the node's own settings";
  const std::vector<Setting> table = with_extra(extra);
  // The config file first (lowest after defaults), wherever --config appears.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) return "--config needs a file";
      if (auto err = load_file(table, args[i + 1], config)) return err;
    } else if (args[i].starts_with("--config=")) {
      if (auto err = load_file(table, args[i].substr(9), config)) return err;
    }
  }
  for (const auto& s : table)
    if (const char* v = std::getenv(env_of(s.key).c_str()))
      if (auto err = apply(config, s, v, env_of(s.key))) return err;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    auto eq = arg.find('=');
    bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (arg == "--config") {
      if (!inline_value) ++i;
      continue;
    }
    const Setting* found = nullptr;
    for (const auto& s : table)
      if (flag_of(s.key) == arg) found = &s;
    if (!found) return "unknown option '" + arg + "' (see cohort serve --help)";
    if (!inline_value && found->is_boolean && (i + 1 >= args.size() || args[i + 1].starts_with("--"))) {
      value = "true";
    } else if (!inline_value) {
      if (i + 1 >= args.size()) return arg + " needs a value";
      value = args[++i];
    }
    if (auto err = apply(config, *found, value, arg)) return err;
  }
  return config.validate();
}

std::string settings_usage(std::string_view head, const std::vector<ExtraSetting>& extra) {
  std::string t = std::string(head) +
                  "Every option can also come from the environment (COHORT_<KEY>) or from a JSON\n"
                  "config file (--config FILE, keys as below). Flags beat the environment, which\n"
                  "beats the file.\n\noptions:\n  --config FILE\n      JSON object of settings\n";
  for (const auto& s : with_extra(extra))
    t += "  " + flag_of(s.key) + " VALUE   (" + env_of(s.key) + ", key \"" + std::string(s.key) + "\")\n      " +
         std::string(s.help) + "\n";
  return t;
}

JsonObject shown_settings(const Config& config) {
  JsonObject shown;
  for (const auto& s : settings())
    if (s.show) shown.emplace(s.key, s.show(config));
  return shown;
}

const char* serve_usage() {
  static const std::string text = settings_usage("usage: cohort serve [options]\n\nRuns a Cohort node.\n");
  return text.c_str();
}

}  // namespace cohort
