// bench_options.cpp — option table, parsing and cross-checks: see bench_options.hpp.
#include "bench_options.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string_view>

namespace cohort::bench {

namespace {

enum ModeBit : unsigned { kFanout = 1, kEcho = 2, kConns = 4, kPresence = 8, kStore = 16, kLongPoll = 32, kAll = 63, kLive = 64 };

struct OptionSpec {
  const char* name;
  unsigned modes;
  const char* value;  // nullptr for a flag
  const char* help;
  std::function<std::optional<std::string>(BenchOptions&, std::string_view)> set;
};

std::optional<std::string> to_double(std::string_view text, double lo, double hi, double& out) {
  char* end = nullptr;
  std::string s(text);
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v >= lo && v <= hi))
    return "expects a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" + s + "'";
  out = v;
  return std::nullopt;
}

std::optional<std::string> to_unsigned(std::string_view text, unsigned lo, unsigned hi, unsigned& out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi)
    return "expects an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got '" +
           std::string(text) + "'";
  out = v;
  return std::nullopt;
}

// The option table. Limits keep a run bounded in time and within one machine's resources.
const std::vector<OptionSpec>& specs() {
  static const std::vector<OptionSpec> table = {
      {"--url", kAll, "URL", "server socket URL, ws:// or wss:// (TLS, certificate not verified); vsn=2.0.0 is appended when absent (loopback only)",
       [](BenchOptions& o, std::string_view v) { o.url = std::string(v); return std::optional<std::string>(); }},
      {"--topic", kFanout | kEcho | kConns | kPresence | kLongPoll, "TOPIC",
       "fanout topic; its prefix up to ':' names echo and conns topics (room:bench; presence: room:storm)",
       [](BenchOptions& o, std::string_view v) { o.topic = std::string(v); return std::optional<std::string>(); }},
      {"--duration", kFanout | kEcho | kStore | kLongPoll | kLive, "SECONDS", "measured time (10; store 5; live: of events, of each sustained rate; at most 600)",
       [](BenchOptions& o, std::string_view v) { o.duration_set = true; return to_double(v, 0.1, 600, o.duration_s); }},
      {"--deflate", kAll | kLive, "on|off", "offer permessage-deflate at the upgrade, as browsers do (on)",
       [](BenchOptions& o, std::string_view v) -> std::optional<std::string> {
         if (v != "on" && v != "off") return "--deflate takes on or off";
         o.deflate = v == "on";
         return std::nullopt;
       }},
      {"--threads", kAll | kLive, "N", "client threads, one event loop each (1: the server needs the other core)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 64, o.threads); }},
      {"--in-flight", kAll | kLive, "N", "handshakes (connect to join reply) pending at once (500)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 100000, o.max_in_flight); }},
      {"--setup-timeout", kAll | kLive, "SECONDS", "time allowed to connect and join everything (60)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 1, 600, o.setup_timeout_s); }},
      {"--subscribers", kFanout | kStore, "N", "subscriber connections (1000; store 100)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 1000000, o.subscribers); }},
      {"--rate", kFanout | kStore, "MSGS", "publisher rate in msgs/s (store: ops/s); with --ramp, the first step's (1000; ramp 100; store 10000)",
       [](BenchOptions& o, std::string_view v) { o.rate_set = true; return to_double(v, 0.1, 1e7, o.rate); }},
      {"--ramp", kFanout, nullptr, "raise the rate step by step until p99 or loss breaks the limit",
       [](BenchOptions& o, std::string_view) { o.ramp = true; return std::optional<std::string>(); }},
      {"--step-seconds", kFanout, "SECONDS", "publish time of each ramp step (3)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 0.5, 60, o.step_seconds); }},
      {"--max-steps", kFanout, "N", "ramp steps at most (20)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 100, o.max_steps); }},
      {"--ramp-factor", kFanout, "X", "rate multiplier between ramp steps (1.5)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 1.01, 10, o.ramp_factor); }},
      {"--p99-limit-ms", kFanout, "MS", "ramp stops when a step's p99 exceeds this (100)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 0.01, 60000, o.p99_limit_ms); }},
      {"--drain-seconds", kFanout | kStore, "SECONDS", "wait for stragglers after publishing stops (5)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 0, 60, o.drain_s); }},
      {"--payload-bytes", kFanout, "N", "pad each shout payload to about N bytes (0: no pad)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 0, 1 << 20, o.payload_bytes); }},
      {"--subscriber-urls", kFanout, "URL,URL,...",
       "spread the subscribers over these nodes (cluster fan-out: loop i uses URL i mod n; the publisher uses --url)",
       [](BenchOptions& o, std::string_view v) { o.subscriber_urls = std::string(v); return std::optional<std::string>(); }},
      {"--clients", kEcho | kLongPoll, "N", "echo connections (longpoll: clients), each on its own topic (100)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 100000, o.clients); }},
      {"--count", kConns | kPresence, "N", "connections to open and join (10000)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 1000000, o.count); }},
      {"--server-pid", kAll | kLive, "PID", "the server's process: report its CPU use (and VmRSS in conns)",
       [](BenchOptions& o, std::string_view v) {
         unsigned pid = 0;
         auto err = to_unsigned(v, 1, 1u << 30, pid);
         o.server_pid = static_cast<int>(pid);
         return err;
       }},
      {"--converge-timeout", kPresence, "SECONDS", "give up waiting for presence convergence after this (30)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 0.1, 600, o.converge_timeout_s); }},
      {"--key", kStore, "KIND:ID", "store key; subscribers and writers join store:<key> (livedoc:bench)",
       [](BenchOptions& o, std::string_view v) { o.key = std::string(v); return std::optional<std::string>(); }},
      {"--token", kStore, "TOKEN", "signed token (kind socket) sent as the join param \"token\" (needs an editor role)",
       [](BenchOptions& o, std::string_view v) { o.token = std::string(v); return std::optional<std::string>(); }},
      {"--writers", kStore, "N", "writer connections sharing --rate (10)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 10000, o.writers); }},
      {"--page", kLive, "URL", "the live page, http:// on loopback (http://127.0.0.1:4000/counter)",
       [](BenchOptions& o, std::string_view v) { o.page_url = std::string(v); return std::optional<std::string>(); }},
      {"--views", kLive, "N", "live views that follow the page (100)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 0, 1000000, o.views); }},
      {"--rounds", kLive, "R", "change: changes made one after the other (10)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 100000, o.rounds); }},
      {"--rates", kLive, "K,K,...", "sustained: changes/s, one step of --duration each; stops after a step that fails (20)",
       [](BenchOptions& o, std::string_view v) -> std::optional<std::string> {
         o.rates.clear();
         for (std::size_t start = 0; start <= v.size();) {
           std::size_t comma = std::min(v.find(',', start), v.size());
           double rate = 0;
           if (auto err = to_double(v.substr(start, comma - start), 0.1, 10000, rate)) return err;
           o.rates.push_back(rate);
           start = comma + 1;
         }
         return std::nullopt;
       }},
      {"--clickers", kLive, "C", "events: clicker views, one event outstanding each (1); sustained: views the clicks are spread over (4)",
       [](BenchOptions& o, std::string_view v) { return to_unsigned(v, 1, 10000, o.clickers); }},
      {"--value-after", kLive, "TEXT",
       "the value each view shows: the slot after the static ending with TEXT (the counter's count; mount reads it only when given)",
       [](BenchOptions& o, std::string_view v) {
         o.value_after = std::string(v);
         o.value_after_set = true;
         return std::optional<std::string>();
       }},
      {"--event", kLive, "NAME", "the click's event (inc)",
       [](BenchOptions& o, std::string_view v) { o.event = std::string(v); return std::optional<std::string>(); }},
      {"--event-value", kLive, "JSON", "the click's value ({\"by\":\"1\",\"value\":\"\"}); each click must add one to the value",
       [](BenchOptions& o, std::string_view v) { o.event_value = std::string(v); return std::optional<std::string>(); }},
      {"--round-timeout", kLive, "SECONDS", "longest wait for a reply, or for every view to show a value (10)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 0.1, 600, o.round_timeout_s); }},
      {"--hold", kConns, "SECONDS", "keep the connections open this long once all joined (2)",
       [](BenchOptions& o, std::string_view v) { return to_double(v, 0, 600, o.hold_s); }},
  };
  return table;
}

unsigned mode_bit(const std::string& mode) {
  if (mode == "fanout") return kFanout;
  if (mode == "echo") return kEcho;
  if (mode == "conns") return kConns;
  if (mode == "presence") return kPresence;
  if (mode == "store") return kStore;
  if (mode == "longpoll") return kLongPoll;
  if (mode == "live") return kLive;
  return 0;
}

// Relationships between options, checked once all are known.
std::optional<std::string> cross_check(BenchOptions& o) {
  if (auto err = parse_ws_url(o.url, o.target)) return "--url: " + *err;
  if (o.mode == "live") {
    if (auto err = parse_page_url(o.page_url, o.page)) return "--page: " + *err;
    if (o.views == 0) return "--views must be at least 1";
    if (o.live_mode != "mount" && o.value_after.empty()) return "--value-after must not be empty in live " + o.live_mode;
  }
  o.target.offer_deflate = o.deflate;
  if (o.topic.empty()) return "--topic must not be empty";
  for (std::size_t start = 0; !o.subscriber_urls.empty() && start <= o.subscriber_urls.size();) {
    std::size_t comma = std::min(o.subscriber_urls.find(',', start), o.subscriber_urls.size());
    WsTarget t;
    if (auto err = parse_ws_url(o.subscriber_urls.substr(start, comma - start), t)) return "--subscriber-urls: " + *err;
    o.subscriber_targets.push_back(std::move(t));
    start = comma + 1;
  }
  if (o.subscriber_targets.size() > o.threads)
    return "--threads must be at least the number of --subscriber-urls (each loop connects to one node)";
  if (o.mode == "store" && (o.key.empty() || o.key.find(':') == std::string::npos))
    return "--key must be <kind>:<id>, e.g. livedoc:bench";
  if (o.ramp && o.duration_set) return "--duration does not apply with --ramp (each step lasts --step-seconds)";
  if (o.ramp && !o.rate_set) o.rate = 100;
  if (o.threads > o.connections()) return "--threads exceeds the number of connections";
  if (o.server_pid != 0) {
    std::ifstream status("/proc/" + std::to_string(o.server_pid) + "/status");
    if (!status) return "--server-pid: no process " + std::to_string(o.server_pid);
  }
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  constexpr unsigned kSpareFds = 64;  // stdio, epoll, eventfds, /proc reads
  if (static_cast<rlim_t>(o.connections()) + kSpareFds > lim.rlim_cur)
    return std::to_string(o.connections()) + " connections need more file descriptors than the limit (" +
           std::to_string(lim.rlim_cur) + "); raise ulimit -n or lower the count";
  return std::nullopt;
}

}  // namespace

std::string BenchOptions::topic_prefix() const {
  auto colon = topic.find(':');
  return colon == std::string::npos ? topic + ":" : topic.substr(0, colon + 1);
}

unsigned BenchOptions::connections() const {
  if (mode == "fanout") return subscribers + 1;
  if (mode == "echo") return clients;
  if (mode == "longpoll") return clients * 2;  // a poll and a POST connection each
  if (mode == "store") return subscribers + writers;
  if (mode == "live")  // the views, the clickers, and the page GETs in flight
    return views + (live_mode == "change" ? 1 : live_mode == "mount" ? 0 : clickers) + std::min(max_in_flight, views);
  return count;
}

bool known_mode(const std::string& mode) { return mode_bit(mode) != 0; }

std::optional<std::string> parse_options(const std::string& mode, const std::vector<std::string>& args,
                                         BenchOptions& out) {
  out.mode = mode;
  unsigned bit = mode_bit(mode);
  if (bit == 0) return "unknown mode '" + mode + "'";
  if (bit == kPresence) out.topic = "room:storm";
  std::vector<std::string> rest = args;
  if (bit == kLive) {
    static const std::string_view kLiveModes[] = {"mount", "change", "sustained", "events"};
    if (rest.empty() || std::find(std::begin(kLiveModes), std::end(kLiveModes), rest.front()) == std::end(kLiveModes))
      return "live needs its mode first: mount, change, sustained or events (cohort-bench live mount --views 1000 ...)";
    out.live_mode = rest.front();
    rest.erase(rest.begin());
    if (out.live_mode == "sustained") out.clickers = 4;  // one socket's replies come one per frame
  }
  if (bit == kStore) {  // the coalescing test's defaults
    out.subscribers = 100;
    out.rate = 10000;
    out.duration_s = 5;
  }
  for (std::size_t i = 0; i < rest.size(); ++i) {
    std::string_view arg = rest[i], value;
    bool inline_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos && arg.substr(0, 2) == "--") {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs())
      if (arg == s.name) spec = &s;
    if (!spec) return "unknown option '" + std::string(arg) + "' (see cohort-bench --help)";
    if (!(spec->modes & bit)) return std::string(spec->name) + " does not apply to " + mode;
    if (spec->value && !inline_value) {
      if (i + 1 >= rest.size()) return std::string(spec->name) + " needs a value (" + spec->value + ")";
      value = rest[++i];
    } else if (!spec->value && inline_value) {
      return std::string(spec->name) + " takes no value";
    }
    if (auto err = spec->set(out, value)) return std::string(spec->name) + " " + *err;
  }
  return cross_check(out);
}

std::string usage() {
  std::string text =
      "usage: cohort-bench <mode> [options]\n\n"
      "Load generator for any Phoenix Channels V2 server on loopback (e.g. Phoenix's generated\n"
      "RoomChannel: \"ping\" replies with its payload, \"shout\" broadcasts it to the topic).\n\n"
      "modes:\n"
      "  fanout  N subscribers join --topic; one publisher pushes \"shout\" at --rate (or --ramp);\n"
      "          reports deliveries/s, latency percentiles, lost and out-of-order messages\n"
      "  echo    C clients each join <prefix>echo-<i> and push \"ping\" in a closed loop;\n"
      "          reports round trips/s and latency percentiles\n"
      "  conns   opens N connections, each joining <prefix>conns-<i % 100>; reports the time to\n"
      "          join them all and, with --server-pid, the server's memory per connection\n"
      "  presence  join storm: N connections join --topic with {\"user_id\":\"u<i>\"}; reports joins/s,\n"
      "          server memory and CPU, and the time until every client's presence list holds all N\n"
      "  store   --subscribers join store:<key>; --writers push \"op\" incr at --rate ops/s; reports op\n"
      "          latency, patches/s per subscriber, versions folded per patch, gaps\n"
      "  longpoll  echo over LongPoll (the --url's socket at /longpoll, plain HTTP): C clients each\n"
      "          join <prefix>echo-<i>, push \"ping\" as POSTs, read replies from a poll always open\n"
      "  live mount|change|sustained|events  N live views of --page opened as phoenix_live_view's\n"
      "          client does (GET, cookie, tokens, /live socket, join lv:<id>), every diff merged into\n"
      "          each view's tree: mount time and server memory per view; latency of one change to every\n"
      "          view (an extra view clicks --event); the same at --rates changes/s; clickers' round trips\n"
      "  minimal-server --port P  not a load: the yardstick for echo, a one-thread epoll server that\n"
      "          answers the upgrade and each client frame with a fixed phx_reply, parsing nothing\n\n"
      "options (modes):\n";
  for (const auto& s : specs()) {
    std::string name = std::string(s.name) + (s.value ? std::string(" ") + s.value : "");
    std::string modes = (s.modes & kAll) == kAll ? (s.modes & kLive ? "all" : "all but live") : "";
    if ((s.modes & kAll) != kAll) {
      if (s.modes & kFanout) modes += "fanout ";
      if (s.modes & kEcho) modes += "echo ";
      if (s.modes & kConns) modes += "conns ";
      if (s.modes & kPresence) modes += "presence ";
      if (s.modes & kStore) modes += "store ";
      if (s.modes & kLongPoll) modes += "longpoll ";
      if (s.modes & kLive) modes += "live ";
      modes.pop_back();
    }
    char line[256];
    std::snprintf(line, sizeof line, "  %-24s %s [%s]\n", name.c_str(), s.help, modes.c_str());
    text += line;
  }
  text +=
      "\nEvery run ends by itself and prints one line per figure, then `RESULT {json}`.\n"
      "Exit status: 0 after a clean run, 1 if the server cannot be reached or refuses a join, 2 for\n"
      "bad options, 3 if connections were dropped during the run (the figures are printed anyway).\n";
  return text;
}

}  // namespace cohort::bench
