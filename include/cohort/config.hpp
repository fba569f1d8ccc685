// cohort/config.hpp — a node's settings, where they come from, and how they are checked.
//
// Precedence, lowest first: built-in defaults, the config file (--config FILE, JSON object
// with the same keys as the long options, e.g. {"port": 4000, "idle_timeout_ms": 60000}),
// environment variables (COHORT_HOST, COHORT_PORT, ...: the key upper-cased with COHORT_
// in front), then command-line options. validate() checks the relationships between options
// at start-up and says what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cohort {

struct Config {
  std::string host = "127.0.0.1";  // loopback unless asked otherwise
  std::uint16_t port = 4000;        // 0 picks a free port (printed at start)
  unsigned threads = 0;             // reactor threads; 0 = one per core
  std::string data_dir = "data";    // where the embedded storage keeps its files
  std::string static_dir;           // served at /; empty = <repo>/static next to the binary
  // A WebSocket message larger than this closes the socket with 1009. Phoenix's default
  // max_frame_size is unbounded; 1 MiB stops a single client from exhausting memory.
  std::size_t max_frame = 1 << 20;
  // Bytes queued for one slow client before it is closed with 1008: about 1 s of a busy room.
  std::size_t outbound_queue_limit = 4 << 20;
  // Open connections (HTTP and WebSocket) per node: below the 20,000-descriptor process limit.
  std::size_t max_connections = 18000;

  // ---- Per client (docs/security.md) ----
  // What one socket, one address and one presence may make the node hold or do. Every limit is
  // counted in /metrics (cohort_limit_refusals_total / cohort_limit_closes_total{limit=...}).
  // Messages a socket (/socket, /live) may send per second, and how many at once: a message over
  // it that asks for a reply gets {"reason":"rate_limited"}; a client that keeps sending after
  // socket_message_burst refusals is closed with 1008. A person clicking and typing sends a few a
  // second; a drawing or dragging page tens. 0 = no limit (benchmarks).
  std::uint32_t socket_messages_per_s = 100;
  std::uint32_t socket_message_burst = 200;
  // Channels joined on one socket (Phoenix's own limit is 100): a join past it is refused with
  // {"reason":"too many channels joined"}.
  std::uint32_t socket_max_channels = 100;
  // Presence entries (metas) one socket's channels may track: a track past it is refused.
  std::uint32_t socket_max_presences = 100;
  // Replies a socket may be owed at once (pushes answered later, e.g. store ops waiting for the
  // store): a push past it is answered {"reason":"too_many_pending_replies"} at once.
  std::uint32_t socket_max_pending_replies = 100;
  // Connections one client address (IPv4, or an IPv6 /64) may hold open, and open per second
  // (with a burst): past them a new connection is answered 429 before anything is read. Room
  // for a household or an office behind one NAT with several tabs each; far below what it takes
  // to fill max_connections. 0 = no limit (benchmarks and test suites that open thousands of
  // loopback connections pass larger values; see docs/security.md).
  std::uint32_t ip_max_connections = 256;
  std::uint32_t ip_connections_per_s = 50;
  std::uint32_t ip_connection_burst = 100;
  // Proxies whose X-Forwarded-For / Forwarded headers name the client (comma-separated
  // addresses and CIDR networks, e.g. "127.0.0.1, 10.0.0.0/8"); empty = none: every client is
  // its socket's peer address and those headers are ignored.
  std::string trusted_proxies;
  // One presence entry, its key and serialized meta together, in bytes (a name, a colour, a
  // status: tens of bytes). A topic holds at most presence_max_topic_entries entries of this
  // node's, and at most half of outbound_queue_limit bytes of them, so that every joiner can be
  // sent the topic's presence_state.
  std::uint32_t presence_max_meta_bytes = 1024;
  std::uint32_t presence_max_topic_entries = 20000;
  // A socket that sends nothing for this long is closed (Phoenix's transport timeout: 60 s).
  // Also bounds how long an HTTP request may take to arrive.
  std::uint32_t idle_timeout_ms = 60000;
  // How long a LongPoll poll waits for messages before it is answered "nothing" (204), as
  // Phoenix's window_ms; a LongPoll session nobody polls for 1.5 times this is dropped. Below the
  // official client's 20 s request timeout (hence at most 15 s). A waiting poll is not subject to
  // idle_timeout_ms (the request has arrived; the node is the one taking its time).
  std::uint32_t longpoll_window_ms = 10000;
  // Largest HTTP request head; Cowboy's default is similar.
  std::size_t max_header_bytes = 16 * 1024;
  // Broadcast frames are written in flush rounds at most this far apart: under load a socket
  // gets one write per round, not one per message. Small enough to add little latency.
  std::uint32_t flush_interval_us = 2000;
  // With permessage-deflate negotiated, messages of at least this many bytes go out compressed.
  // Below it the 5-10 bytes a short frame could save cost more CPU than they are worth, and
  // heartbeats and replies stay plain; presence states and diffs (kilobytes) compress ~10x.
  std::size_t deflate_min_bytes = 512;
  // Presence changes on a topic are merged and published once per tick: short enough to feel
  // live, long enough that a join storm costs one diff per tick instead of one per join.
  // A topic of more than 1,000 keys ticks less often (see cohort/presence.hpp).
  std::uint32_t presence_tick_ms = 50;
  // The longest period of a big topic, in ticks: a topic of k keys publishes every
  // presence_tick_ms × min(presence_max_stretch, ceil(k / 1000)). 1 = never stretch.
  std::uint32_t presence_max_stretch = 20;
  // The HMAC key of signed tokens, at least 32 bytes (shorter is refused at start). Empty: read
  // <data_dir>/secret, created (mode 0600) with 32 random bytes at first start, so tokens stay
  // valid across restarts; a secret file that group or others can read is refused.
  std::string secret;
  // A sign-in link (/signin?grant=...) works once, for this long: minutes, so a link that
  // leaks later (a chat log, a browser history) is worthless.
  std::uint32_t grant_ttl_s = 600;
  // Roles given by a sign-in last this long in the visitor's cookie; then the visitor is an
  // ordinary one again (same identity) and needs a new link. Half a working day.
  std::uint32_t role_ttl_s = 12 * 3600;
  // Also print the moderator's sign-in link on stdout at start (it is always written to
  // <data_dir>/moderator-grant, mode 0600). Off: stdout often ends up in shared logs.
  bool print_grant = false;
  // Live views: their templates and the npm packages whose client bundles the pages load.
  // Empty = templates/ and node_modules/ of the source tree next to the binary.
  std::string templates_dir;
  std::string assets_dir;
  // A live view renders at most once per frame: about two display frames, so a burst of
  // messages costs ~33 renders a second, not one per message, and still looks immediate.
  std::uint32_t live_frame_ms = 30;
  // An event whose handler started store ops is answered once they are done and the view holds
  // their result, or after this long (0: at once, before the ops finish).
  std::uint32_t live_event_wait_ms = 1000;
  // A page's signed live session stays valid this long (two weeks, Phoenix's session cookie
  // default), so a tab left open reconnects after a restart without a reload.
  std::uint32_t live_session_ttl_s = 14 * 24 * 3600;
  // Live views' slow work (Socket::assign_async, start_async) runs on this many worker threads;
  // at most live_async_queue tasks wait for one (past that a task fails at once, "overloaded"),
  // so a flood of requests costs a refusal each, not memory or threads.
  std::uint32_t live_async_workers = 4;
  std::uint32_t live_async_queue = 1000;
  // Live uploads (docs/live.md, Uploads): files being received land in upload_dir (empty:
  // <data_dir>/uploads), mode 0600, under names the node picks; all of them together may hold
  // at most upload_max_temp_bytes (each entry reserves its declared size when its upload starts).
  std::string upload_dir;
  std::size_t upload_max_temp_bytes = std::size_t{512} << 20;
  // How long shutdown (SIGTERM) waits for sockets to close and queued commits to finish before
  // exiting anyway (docs/operations.md, Health and shutdown).
  std::uint32_t shutdown_grace_ms = 3000;
  // Before that, how long /readyz says "draining" while the node still accepts and serves
  // everything: time for a load balancer that polls /readyz to stop sending it new clients.
  // 0: none. A second SIGTERM/SIGINT (Node::stop again) ends it at once.
  std::uint32_t shutdown_unready_ms = 0;
  // /readyz: the storage takes a small write this often (Storage::probe); the node is unready
  // while the last probe failed or one has waited longer than ready_storage_timeout_ms.
  std::uint32_t ready_probe_ms = 250;
  std::uint32_t ready_storage_timeout_ms = 1000;

  // ---- Logs (docs/operations.md, Logs) ----
  // Every line the node writes: "text" (one readable line) or "json" (one object per line, for
  // a log collector). Checked at start: an unknown value is refused.
  std::string log_format = "text";
  // Lines below this level are not written: trace, debug, info, warn, error or off.
  std::string log_level = "info";
  // Per category, over log_level: "net=debug,cluster=warn" (categories: node, net, channels,
  // presence, live, store, storage, cluster). An unknown category or level is refused.
  std::string log_levels;
  // Write the log to this file (created mode 0640, appended to; SIGHUP reopens it, for
  // logrotate) instead of stderr.
  std::string log_file;
  // One line per HTTP request and per WebSocket or LongPoll session (category access). Off: a
  // busy node serves thousands a second, and a proxy in front usually logs them already.
  bool access_log = false;
  // Lines per second of one kind of event a client can provoke (a limit refusal, a slow-consumer
  // close); past it the lines are counted and one "lines_suppressed" line says how many, so an
  // attack cannot flood the log.
  std::uint32_t log_limit_per_s = 10;
  // The `node` of every JSON line; empty: the host name (with the cluster node id in a cluster).
  std::string node_name;

  // Cluster (docs/cluster.md). Empty: the node runs alone. "redis://HOST:PORT": the node joins
  // the other nodes using that Redis for PubSub, presence replication and membership.
  // "redis://:PASSWORD@HOST:PORT" (requirepass) or "redis://USER:PASSWORD@..." (a Redis 6 ACL
  // user): the node sends AUTH on every connection it makes. Every node of a cluster must have
  // the same secret: the messages between nodes are signed with a key derived from it.
  std::string cluster;
  // The Redis password in a file instead of the URL (first line; refused, like the secret file,
  // when group or others may read it), so it is neither in the command line nor the environment.
  std::string cluster_password_file;
  // Where stores are kept. Empty: SQLite in data_dir. "postgres://..." (or "postgresql://"): a
  // PostgreSQL server shared by the nodes of a cluster (checked here, used by the storage layer).
  std::string storage;
  // A node publishes a heartbeat this often; with cluster_down_ms it bounds how fast a dead
  // node's presences leave: at most cluster_down_ms + cluster_heartbeat_ms (6 s by default).
  std::uint32_t cluster_heartbeat_ms = 1000;
  // A node silent this long is declared down: five missed heartbeats, so a busy or briefly
  // paused node is not taken for dead.
  std::uint32_t cluster_down_ms = 5000;
  // A store key's owner holds a Redis lease this long, renewed every third of it. When the
  // owner dies another node can take its keys once the lease ran out: the fail-over time.
  std::uint32_t cluster_lease_ms = 3000;
  // A store key unused this long (and holding no lock) is given up by its owner, so a node
  // renews only the leases of keys in use; its next use anywhere takes it again. A key unloaded
  // from memory (store_idle_ms, store_max_keys) gives up its lease too, so the shorter wins.
  std::uint32_t cluster_key_idle_ms = 300'000;

  // ---- Exposure to the internet (docs/security.md) ----
  // The node's own origin as browsers see it ("https://cohort.example.com", e.g. behind a
  // proxy); empty = none. Requests must name one of the node's hosts (Host header, against DNS
  // rebinding: an IP literal, localhost, this URL's host or allowed_hosts) and browser
  // WebSockets must come from the request's own origin, this one or allowed_origins.
  std::string public_url;
  // More origins allowed to open WebSockets, comma-separated scheme://host[:port]; "*." allows
  // any subdomain ("https://*.example.com"). Requests without an Origin header (non-browser
  // clients) pass.
  std::string allowed_origins;
  // More Host names accepted, comma-separated: "name" (any port), "name:port", "*.example.com"
  // (any subdomain), or "*" (any host; only behind a proxy that checks it).
  std::string allowed_hosts;
  // false: skip Origin checks (development only; Phoenix's check_origin: false).
  bool check_origin = true;
  // Native TLS: PEM certificate chain and private key; both or neither.
  std::string tls_cert;
  std::string tls_key;
  // With TLS, a plain-HTTP listener on this port that redirects to https://; 0 = none.
  std::uint16_t tls_redirect_port = 0;
  // Operator surface (/metrics, /metrics/live, /admin, /admin/status and /healthz) on a separate listener at
  // admin_host:admin_port, loopback by default; 0 = none. The main port never serves them openly.
  std::uint16_t admin_port = 0;
  std::string admin_host = "127.0.0.1";
  // The admin dashboard, a live page at /admin (docs/operations.md): served as is by the admin
  // listener, and on the main port only to a visitor with role "admin" (403 otherwise). false:
  // no /admin page at all (GET /admin/status, an operator route like /metrics, stays).
  bool admin_dashboard = true;

  // ---- Parsers: what one piece of client input may cost to parse (docs/security.md) ----
  // Every JSON text a client sends (Phoenix messages on /socket and /live, live event payloads,
  // JSON bodies of HTTP routes) is parsed within these; past them it is refused with a reason
  // that names the setting (a socket is closed with 1007, 1009 for size; HTTP answers 400 or
  // 413) and counted in /metrics (cohort_parser_refusals_total).
  // Nesting of arrays and objects: twice a store state's default depth, room for the message
  // around an op's value. A JSON value is copied and destroyed recursively, so this bounds the
  // stack a client can make the node use.
  std::uint32_t json_max_depth = 64;
  // One JSON text, in bytes (a parse allocates several times its size); also bounded by
  // max_frame on WebSockets and HTTP bodies.
  std::size_t json_max_bytes = 1 << 20;
  // Brackets in one field name of a live form (user[address][city] is 2): each one is a level
  // of the decoded value. Rack's default, 32; real forms use two or three.
  std::uint32_t form_max_depth = 32;

  // ---- What a store accepts, and therefore what it must load again (docs/stores.md) ----
  // Every op's arguments and every value it writes are checked against these; the same limits
  // are used when snapshots and op logs are read back, so an accepted op always loads again.
  // Nesting of containers in a store state (Boost.JSON's default parse depth is 32).
  std::uint32_t store_max_depth = 32;
  // One string value, and one object member name, in bytes.
  std::uint32_t store_max_string_bytes = 64 * 1024;
  std::uint32_t store_max_member_bytes = 1024;
  // A store key "<kind>:<id>", in bytes.
  std::uint32_t store_max_key_bytes = 256;
  // A key's state is written as a snapshot (and its op log compacted) every this many commits:
  // a restart replays at most about twice this many ops per key. Tests lower it to restart
  // right after snapshots.
  std::uint32_t store_snapshot_every = 1000;
  // ---- What a node keeps of its stores in memory (docs/stores.md) ----
  // A key with no follower on this node, no lock, nothing queued or uncommitted, and no use for
  // this long leaves memory (its state is in storage: its next use reads it back at the same
  // version). A minute: a key in use is touched far more often, and re-reading one is cheap.
  // In a cluster its lease is given up with it (see cluster_key_idle_ms).
  std::uint32_t store_idle_ms = 60'000;
  // Keys held in memory per node, spread over the reactors (each holds this / threads). A new key
  // unloads the least recently used idle one; when all are busy it is refused "too_many_keys".
  // A key costs a few KB plus its state and history: 10,000 small keys are tens of MB.
  std::uint32_t store_max_keys = 10'000;

  // The node's URL as browsers reach it, without a trailing '/': public_url when set, else
  // http(s)://host:port (port: the bound one, which differs from `port` when that is 0).
  std::string base_url(std::uint16_t bound_port) const;
  // The reactor count after resolving 0 to the number of cores.
  unsigned reactor_count() const;
  // An error message, or nothing when the settings are consistent.
  std::optional<std::string> validate() const;
};

// A setting an app adds to the node's (cohort/app.hpp registers them): read from the same
// places with the same precedence — key "wip_limit" is --wip-limit, COHORT_WIP_LIMIT and the
// config file's "wip_limit". set() parses a value and says what is wrong with it.
struct ExtraSetting {
  std::string key;
  std::string help;
  std::function<std::optional<std::string>(std::string_view value)> set;
  bool is_boolean = false;  // its flag may stand alone: --verbose means --verbose true
};

// Parses `serve` options into config (and into the extra settings). Returns an error message
// for a bad option or value. Reads the config file (--config) and the environment as described
// above.
std::optional<std::string> load_config(const std::vector<std::string>& args, Config& config,
                                       const std::vector<ExtraSetting>& extra = {});

// The --help text of a command that reads the node's settings: head (what the command does),
// then every option, the node's and the extra ones.
std::string settings_usage(std::string_view head, const std::vector<ExtraSetting>& extra = {});
// The --help text of `cohort serve` without extra settings.
const char* serve_usage();

}  // namespace cohort
