// presence_storm.cpp — `cohort-bench presence`: a join storm on one Presence topic.
//
// N connections join --topic (room:storm) with {"user_id":"u<i>"}, at most --in-flight
// handshakes at a time. Measured: the time from the first connect to the last join reply, the
// server's VmRSS before, after and at its peak (sampled every 100 ms), the server's CPU. Then
// convergence: every client keeps the set of keys present as phoenix.js would — presence_state
// replaces it, presence_diff joins add and leaves remove, diffs that arrive before the first
// state are buffered and applied right after it — and is converged when it holds all N keys
// u0..u<N-1>. The run waits (at most --converge-timeout) until all are.
//
// Cost, per client and per distinct frame (what makes the figure honest, docs/benchmarks.md):
// - Per client, always: its own socket, every byte it is sent read from the kernel, every
//   frame header parsed, every compressed message's bytes hashed (InflateCache), the Phoenix
//   envelope of every message scanned, and its own presence bitmap updated by every diff and
//   replaced by its state.
// - Per distinct frame (per loop): inflating (with permessage-deflate, on by default as in
//   browsers), UTF-8 checking and parsing the presence payload. A broadcast diff is the same
//   bytes for every client; a compressed presence_state is the same bytes for every client of
//   a reactor that joined during one tick with the same join_ref (Cohort compresses each state
//   once). So a diff is parsed into the key indexes it joins and leaves once (keyed by the
//   digest of its compressed bytes, or by a hash of its text when it came uncompressed), and a
//   compressed state into a bitmap once (keyed by its digest); an uncompressed state is scanned
//   per client. A real browser inflates and parses its own copy of everything.
// A client's set is a bitmap of N bits plus a count of set bits; keys that are not u<i> with
// i < N, and entries with other than one meta, are counted as anomalies (once per distinct
// parse).
// --deflate off measures the uncompressed path (every state scanned per client).
// Threads: --threads loops own the connections and their trackers; the controller polls the
// trackers' atomics; a sampler thread reads the server's VmRSS during the storm.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_clock.hpp"
#include "client_loop.hpp"
#include "conn_opener.hpp"
#include "cpu_usage.hpp"
#include "modes.hpp"
#include "report.hpp"

namespace cohort::bench {

namespace {

constexpr auto kRssSampleEvery = std::chrono::milliseconds(100);

// A forward-only reader of JSON text: enough to walk presence maps without building a DOM.
struct Scanner {
  const char* p;
  const char* end;

  void ws() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) ++p;
  }
  bool eat(char c) {
    ws();
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  // A string; out gets its raw (still escaped) contents.
  bool str(std::string_view& out) {
    ws();
    if (p >= end || *p != '"') return false;
    const char* s = ++p;
    for (;;) {
      auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
      if (!q) return false;
      const char* b = q;
      while (b > s && b[-1] == '\\') --b;
      p = q + 1;
      if (((q - b) & 1) == 0) {
        out = {s, static_cast<std::size_t>(q - s)};
        return true;
      }
    }
  }
  // Any value.
  bool skip() {
    ws();
    if (p >= end) return false;
    std::string_view ignored;
    if (*p == '"') return str(ignored);
    if (*p == '{' || *p == '[') {
      int depth = 0;
      while (p < end) {
        char c = *p;
        if (c == '"') {
          if (!str(ignored)) return false;
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        else if ((c == '}' || c == ']') && --depth == 0) {
          ++p;
          return true;
        }
        ++p;
      }
      return false;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']') ++p;
    return true;
  }
};

// Calls fn(key, metas) for each entry of a presence map {key: {"metas": [...], ...}, ...};
// metas is the length of the entry's metas array, -1 without one.
template <class Fn>
bool scan_presences(Scanner& s, Fn&& fn) {
  if (!s.eat('{')) return false;
  if (s.eat('}')) return true;
  do {
    std::string_view key, name;
    if (!s.str(key) || !s.eat(':') || !s.eat('{')) return false;
    int metas = -1;
    if (!s.eat('}')) {
      do {
        if (!s.str(name) || !s.eat(':')) return false;
        if (name == "metas" && s.eat('[')) {
          metas = 0;
          if (!s.eat(']')) {
            do {
              if (!s.skip()) return false;
              ++metas;
            } while (s.eat(','));
            if (!s.eat(']')) return false;
          }
        } else if (!s.skip()) {
          return false;
        }
      } while (s.eat(','));
      if (!s.eat('}')) return false;
    }
    fn(key, metas);
  } while (s.eat(','));
  return s.eat('}');
}

// One distinct compressed presence_state, as the bitmap it sets.
struct State {
  std::size_t len = 0;  // payload bytes (guards the digest)
  std::vector<std::uint64_t> bits;
  std::uint32_t count = 0;
};

// What one distinct presence_diff does, as key indexes.
struct Diff {
  std::size_t len = 0;              // payload bytes (guards the hash key)
  std::vector<std::uint32_t> joins;
  std::vector<std::uint32_t> leaves;  // keys left and not joined again in the same diff
};

struct Client {
  std::vector<std::uint64_t> bits;
  std::uint32_t count = 0;
  bool got_state = false;
  bool converged = false;
  std::vector<const Diff*> buffered;  // diffs before the first presence_state
};

// The presence views of one loop's clients. Owner-thread-only, except the atomics, which only
// the owner writes and the controller polls.
class PresenceTracker final : public FrameHandler {
 public:
  PresenceTracker(ClientLoop& loop, std::uint32_t n) : loop_(loop), n_(n), words_((n + 63) / 64) {}

  void on_joined(Connection& conn) override { client(conn); }
  void on_frame(Connection& conn, const PhxFrame& frame) override;

  std::atomic<std::uint64_t> converged{0};
  std::uint64_t last_converged_ns = 0;  // latest time a client became converged
  std::uint64_t states = 0, diffs = 0, distinct_diffs = 0, distinct_states = 0;
  std::uint64_t malformed = 0;       // payloads the scanner could not read
  std::uint64_t foreign_keys = 0;    // keys that are not u<i>, i < N
  std::uint64_t not_one_meta = 0;    // entries (states, distinct diffs' joins) with metas != 1

 private:
  Client& client(Connection& conn);
  // Index of key "u<i>" with i < N, or nullopt (counted as foreign).
  std::optional<std::uint32_t> index_of(std::string_view key);
  const Diff* diff_of(std::string_view payload, std::uint64_t digest);
  bool scan_state(std::string_view payload);  // into scratch_
  const State* state_of(std::string_view payload, std::uint64_t digest);
  void set_state(Client& c, std::string_view payload, std::uint64_t digest);
  bool parse_diff(std::string_view payload, Diff& out);
  void apply(Client& c, const Diff& d);
  void set(Client& c, std::uint32_t i) {
    std::uint64_t& w = c.bits[i >> 6];
    std::uint64_t m = std::uint64_t{1} << (i & 63);
    if (!(w & m)) {
      w |= m;
      ++c.count;
    }
  }
  void clear(Client& c, std::uint32_t i) {
    std::uint64_t& w = c.bits[i >> 6];
    std::uint64_t m = std::uint64_t{1} << (i & 63);
    if (w & m) {
      w &= ~m;
      --c.count;
    }
  }
  void update(Client& c);

  ClientLoop& loop_;
  std::uint32_t n_;
  std::size_t words_;
  std::vector<Client> clients_;  // by connection slot
  std::unordered_map<std::uint64_t, Diff> cache_;
  std::unordered_map<std::uint64_t, State> states_;  // compressed states, by digest
  std::vector<std::uint32_t> scratch_;
};

Client& PresenceTracker::client(Connection& conn) {
  if (conn.slot() >= clients_.size()) clients_.resize(conn.slot() + 1);
  Client& c = clients_[conn.slot()];
  if (c.bits.empty()) c.bits.assign(words_, 0);
  return c;
}

std::optional<std::uint32_t> PresenceTracker::index_of(std::string_view key) {
  std::uint32_t i = 0;
  if (key.size() >= 2 && key[0] == 'u') {
    auto [p, ec] = std::from_chars(key.data() + 1, key.data() + key.size(), i);
    if (ec == std::errc() && p == key.data() + key.size() && i < n_) return i;
  }
  ++foreign_keys;
  return std::nullopt;
}

bool PresenceTracker::parse_diff(std::string_view payload, Diff& out) {
  out.len = payload.size();
  Scanner s{payload.data(), payload.data() + payload.size()};
  if (!s.eat('{')) return false;
  if (!s.eat('}')) {
    do {
      std::string_view name;
      if (!s.str(name) || !s.eat(':')) return false;
      bool joins = name == "joins";
      if (joins || name == "leaves") {
        auto& into = joins ? out.joins : out.leaves;
        bool ok = scan_presences(s, [&](std::string_view key, int metas) {
          if (joins && metas != 1) ++not_one_meta;
          if (auto i = index_of(key)) into.push_back(*i);
        });
        if (!ok) return false;
      } else if (!s.skip()) {
        return false;
      }
    } while (s.eat(','));
    if (!s.eat('}')) return false;
  }
  std::sort(out.joins.begin(), out.joins.end());
  std::erase_if(out.leaves, [&](std::uint32_t i) { return std::binary_search(out.joins.begin(), out.joins.end(), i); });
  return true;
}

const Diff* PresenceTracker::diff_of(std::string_view payload, std::uint64_t digest) {
  std::uint64_t h = digest ? digest : std::hash<std::string_view>{}(payload) ^ (payload.size() * 0x9E3779B97F4A7C15ull);
  auto it = cache_.find(h);
  if (it != cache_.end() && it->second.len == payload.size()) return &it->second;
  Diff d;
  if (!parse_diff(payload, d)) {
    ++malformed;
    return nullptr;
  }
  ++distinct_diffs;
  return &(cache_[h] = std::move(d));  // a (vanishingly unlikely) colliding entry is replaced
}

bool PresenceTracker::scan_state(std::string_view payload) {
  scratch_.clear();
  Scanner s{payload.data(), payload.data() + payload.size()};
  bool ok = scan_presences(s, [&](std::string_view key, int metas) {
    if (metas != 1) ++not_one_meta;
    if (auto i = index_of(key)) scratch_.push_back(*i);
  });
  if (!ok) ++malformed;
  return ok;
}

const State* PresenceTracker::state_of(std::string_view payload, std::uint64_t digest) {
  auto it = states_.find(digest);
  if (it != states_.end() && it->second.len == payload.size()) return &it->second;
  if (!scan_state(payload)) return nullptr;
  ++distinct_states;
  Client scratch_client;
  scratch_client.bits.assign(words_, 0);
  for (std::uint32_t i : scratch_) set(scratch_client, i);
  return &(states_[digest] = State{payload.size(), std::move(scratch_client.bits), scratch_client.count});
}

// Replaces c's set with the state's keys (an unparsable state empties it; counted as malformed).
void PresenceTracker::set_state(Client& c, std::string_view payload, std::uint64_t digest) {
  if (digest) {
    const State* s = state_of(payload, digest);
    c.bits = s ? s->bits : std::vector<std::uint64_t>(words_, 0);
    c.count = s ? s->count : 0;
    return;
  }
  std::fill(c.bits.begin(), c.bits.end(), 0);
  c.count = 0;
  if (!scan_state(payload)) return;
  for (std::uint32_t i : scratch_) set(c, i);
}

void PresenceTracker::apply(Client& c, const Diff& d) {
  for (std::uint32_t i : d.leaves) clear(c, i);
  for (std::uint32_t i : d.joins) set(c, i);
}

void PresenceTracker::update(Client& c) {
  bool now = c.count == n_;
  if (now == c.converged) return;
  c.converged = now;
  std::uint64_t v = converged.load(std::memory_order_relaxed);
  converged.store(now ? v + 1 : v - 1, std::memory_order_release);
  if (now) last_converged_ns = loop_.now_ns;
}

void PresenceTracker::on_frame(Connection& conn, const PhxFrame& frame) {
  if (frame.event == "presence_diff") {
    ++diffs;
    const Diff* d = diff_of(frame.payload, frame.digest);
    if (!d) return;
    Client& c = client(conn);
    if (!c.got_state) {
      c.buffered.push_back(d);
      return;
    }
    apply(c, *d);
    update(c);
  } else if (frame.event == "presence_state") {
    ++states;
    Client& c = client(conn);
    set_state(c, frame.payload, frame.digest);
    c.got_state = true;
    for (const Diff* d : c.buffered) apply(c, *d);
    c.buffered.clear();
    c.buffered.shrink_to_fit();
    update(c);
  }
}

// Samples a process's VmRSS every 100 ms until destroyed; keeps the peak.
class RssSampler {
 public:
  explicit RssSampler(int pid) {
    if (pid == 0) return;
    std::string p = std::to_string(pid);
    thread_ = std::jthread([this, p](std::stop_token stop) {
      while (!stop.stop_requested()) {
        std::uint64_t v = rss_bytes(p);
        if (v > peak_.load(std::memory_order_relaxed)) peak_.store(v, std::memory_order_relaxed);
        std::this_thread::sleep_for(kRssSampleEvery);
      }
    });
  }
  std::uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  void stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
  }

 private:
  std::atomic<std::uint64_t> peak_{0};
  std::jthread thread_;
};

std::string mib(std::uint64_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 1) + " MiB"; }

}  // namespace

int run_presence(const BenchOptions& opts) {
  const std::uint32_t n = opts.count;
  std::printf("cohort-bench presence  %s  topic %s  %u connections\n", opts.target.url().c_str(), opts.topic.c_str(), n);
  std::fflush(stdout);
  std::string server_pid = opts.server_pid ? std::to_string(opts.server_pid) : "";
  std::uint64_t server_before = server_pid.empty() ? 0 : rss_bytes(server_pid);

  ClientPool pool(opts.threads);
  SetupProgress progress;
  std::vector<std::unique_ptr<PresenceTracker>> trackers;
  std::vector<std::unique_ptr<ConnOpener>> openers;
  struct StopFirst {  // stops the loops before the trackers and openers above are freed
    ClientPool& pool;
    ~StopFirst() { pool.stop(); }
  } stop_first{pool};
  for (unsigned i = 0; i < pool.size(); ++i) {
    trackers.push_back(std::make_unique<PresenceTracker>(pool.loop(i), n));
    openers.push_back(std::make_unique<ConnOpener>(pool.loop(i), opts.target, progress, *trackers[i]));
  }
  pool.start_heartbeats(std::chrono::seconds(25));

  RssSampler sampler(opts.server_pid);
  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  std::uint64_t t0 = steady_ns();
  std::string topic = opts.topic;
  open_spread(
      pool, openers, n, opts.max_in_flight, [topic](std::uint32_t) { return topic; }, Connection::kDefaultWakeSize,
      [](std::uint32_t i) { return "{\"user_id\":\"u" + std::to_string(i) + "\"}"; });
  auto timeout = std::chrono::milliseconds(static_cast<long>(opts.setup_timeout_s * 1000));
  if (auto err = await_joined(progress, n, timeout)) return setup_failed(*err);
  CpuUsage cpu_join = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));
  std::uint64_t peak_join = sampler.peak();

  JoinSummary joins = summarize_joins(pool, openers);
  std::uint64_t t1 = joins.last_join_ns;
  LatencyHistogram& join_latency = joins.latency;
  double join_s = ns_to_s(t1 - t0);

  auto converged_now = [&] {
    std::uint64_t sum = 0;
    for (const auto& t : trackers) sum += t->converged.load(std::memory_order_acquire);
    return sum;
  };
  auto converge_timeout = std::chrono::milliseconds(static_cast<long>(opts.converge_timeout_s * 1000));
  bool all_converged = wait_until([&] { return converged_now() >= n; }, converge_timeout);
  std::uint64_t t_wait_end = steady_ns();
  CpuUsage cpu_all = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));
  sampler.stop();
  std::uint64_t server_after = server_pid.empty() ? 0 : rss_bytes(server_pid);

  std::uint64_t converged = 0, t_conv = 0, states = 0, diffs = 0, distinct = 0, malformed = 0, foreign = 0,
                not_one = 0, distinct_states = 0, bytes_in = 0, deflate_conns = 0, hits = 0, misses = 0,
                inflated = 0;
  for (unsigned i = 0; i < pool.size(); ++i)
    pool.run_on(i, [&](ClientLoop& loop) {
      const PresenceTracker& t = *trackers[loop.index];
      converged += t.converged.load();
      t_conv = std::max(t_conv, t.last_converged_ns);
      states += t.states;
      diffs += t.diffs;
      distinct += t.distinct_diffs;
      distinct_states += t.distinct_states;
      bytes_in += loop.bytes_in;
      deflate_conns += loop.deflate_conns;
      hits += loop.inflate_cache.hits;
      misses += loop.inflate_cache.misses;
      inflated += loop.inflate_cache.inflated_bytes;
      malformed += t.malformed;
      foreign += t.foreign_keys;
      not_one += t.not_one_meta;
    });
  if (!all_converged) t_conv = t_wait_end;
  std::uint64_t dropped = progress.dropped.load();

  Report report("presence");
  report.figure("connections", n, "connections", with_commas(n));
  report.figure("topic", boost::json::string(opts.topic), "topic", opts.topic);
  report.figure("threads", opts.threads, "client threads", std::to_string(opts.threads));
  report.figure("in_flight", opts.max_in_flight, "handshakes in flight", "at most " + with_commas(opts.max_in_flight));
  report.figure("join_seconds", std::round(join_s * 1000) / 1000, "time to join all", fixed(join_s, 3) + " s");
  report.figure("joins_per_s", std::round(n / join_s), "joined/s", with_commas(static_cast<std::uint64_t>(n / join_s)));
  report.latency("join_", "join latency", join_latency);
  report.figure("dropped_connections", dropped, "dropped",
                with_commas(dropped) + (dropped ? " (first: " + progress.first_drop() + ")" : ""));
  if (!server_pid.empty()) {
    report.figure("server_rss_before", server_before, "server rss before", mib(server_before));
    report.figure("server_rss_peak_join", peak_join, "server rss peak (join)", mib(peak_join));
    report.figure("server_rss_peak", std::max(sampler.peak(), server_after), "server rss peak (all)",
                  mib(std::max(sampler.peak(), server_after)));
    report.figure("server_rss_after", server_after, "server rss after", mib(server_after));
  }
  report.line("cpu while joining:");
  report_cpu(report, cpu_join);
  double conv_s = ns_to_s(t_conv - t0);
  report.figure("converged", converged, "converged clients",
                with_commas(converged) + " of " + with_commas(n) +
                    (all_converged ? "" : " (gave up after " + fixed(opts.converge_timeout_s, 0) + " s)"));
  report.figure("converge_seconds", all_converged ? boost::json::value(std::round(conv_s * 1000) / 1000) : nullptr,
                "time to converge", all_converged ? fixed(conv_s, 3) + " s from first connect (" +
                                                        fixed(ns_to_s(t_conv > t1 ? t_conv - t1 : 0), 3) +
                                                        " s after the last join)"
                                                  : "not reached");
  report.figure("presence_states", states, "presence_state recv",
                with_commas(states) + (distinct_states ? " (" + with_commas(distinct_states) + " distinct compressed parsed)" : ""));
  report.figure("presence_diffs", diffs, "presence_diff recv",
                with_commas(diffs) + " (" + with_commas(distinct) + " distinct parsed)");
  report.figure("bytes_received", bytes_in, "WebSocket bytes recv", mib(bytes_in));
  report.figure("deflate_connections", deflate_conns, "permessage-deflate",
                with_commas(deflate_conns) + " of " + with_commas(n) + " connections");
  report.figure("inflate_cache", boost::json::object{{"hits", hits}, {"misses", misses}, {"inflated_bytes", inflated}},
                "compressed msgs", with_commas(hits + misses) + " (" + with_commas(misses) + " distinct inflated, " +
                                       mib(inflated) + " of text)");
  report.figure("anomalies", boost::json::object{{"malformed", malformed}, {"foreign_keys", foreign}, {"not_one_meta", not_one}},
                "anomalies", with_commas(malformed) + " malformed, " + with_commas(foreign) + " foreign keys, " +
                                 with_commas(not_one) + " entries with metas != 1");
  report.line("cpu join + convergence:");
  CpuUsage& cpu = cpu_all;
  report.json("cpu_total", boost::json::object{{"bench_pct", cpu.bench},
                                               {"server_pct", cpu.server >= 0 ? boost::json::value(cpu.server) : nullptr},
                                               {"machine_pct", cpu.machine}});
  report.line("  cpu bench/server/machine  " + fixed(cpu.bench, 0) + "/" + fixed(cpu.server, 0) + "/" +
              fixed(cpu.machine, 0) + "% of one core");
  report_bench_memory(report);
  report.print();
  if (!all_converged) {
    std::fprintf(stderr, "cohort-bench: warning: %llu of %u clients converged\n",
                 static_cast<unsigned long long>(converged), n);
    if (dropped == 0) return 3;
  }
  return run_finished(dropped, progress.first_drop());
}

}  // namespace cohort::bench
