// store_load.cpp — `cohort-bench store`: op load on one store key, patches to its followers.
//
// --subscribers connections join store:<key> with {"token": --token}; then --writers
// connections (on a loop of their own, like fanout's publisher) push "op" incr {"counter":"x"}
// at --rate ops/s in total for --duration s, paced on a 1 ms timer and spread round-robin.
// Each op's reply (phx_reply ok {"version": n}) is timed against its send time. Subscribers
// count "patch" broadcasts {"from","to","ops"}: with a coalescing kind ("livedoc") one patch
// folds many versions. After the writers stop, the run waits (--drain-seconds) for the last
// replies and until every subscriber reached the final version.
// Gap check: nothing changes the key while the subscribers join, so the version they joined at
// is V0 = (lowest version acknowledged) − 1; a subscriber is whole when its first patch starts at
// V0, each patch starts where the previous ended, and its last ends at the highest version
// acknowledged.
#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cmath>
#include <memory>
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

constexpr auto kTick = std::chrono::milliseconds(1);
constexpr double kMaxLagSeconds = 0.1;
constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;
constexpr std::string_view kOp = R"({"name":"incr","args":{"counter":"x"}})";

// The patches one subscriber saw.
struct Follower {
  std::int64_t first_from = -1;
  std::int64_t last_to = -1;
  std::uint64_t patches = 0;
  std::uint64_t versions = 0;  // sum of to − from
  std::uint64_t gaps = 0;      // patches whose from is not the previous to
};

// The subscribers of one loop. Owner-thread-only, except `patches`, which only the owner writes.
class PatchCounter final : public FrameHandler {
 public:
  void on_frame(Connection& conn, const PhxFrame& frame) override {
    if (frame.event != "patch") return;
    auto from = find_int_member(frame.payload, "\"from\"");
    auto to = find_int_member(frame.payload, "\"to\"");
    if (!from || !to) {
      ++malformed;
      return;
    }
    if (conn.slot() >= followers.size()) followers.resize(conn.slot() + 1);
    Follower& f = followers[conn.slot()];
    if (f.first_from < 0) f.first_from = *from;
    else if (*from != f.last_to) ++f.gaps;
    f.last_to = *to;
    ++f.patches;
    f.versions += static_cast<std::uint64_t>(std::max<std::int64_t>(0, *to - *from));
    patches.store(patches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  std::vector<Follower> followers;  // by connection slot
  std::uint64_t malformed = 0;
  std::atomic<std::uint64_t> patches{0};
};

// The writer connections: paced ops, timed replies. Owner-thread-only, except the atomics.
class Writers final : public FrameHandler {
 public:
  explicit Writers(ClientLoop& loop) : loop_(loop), timer_(loop.io) {}

  void on_joined(Connection& conn) override {
    conns_.push_back(&conn);
    if (conn.slot() >= pending_.size()) pending_.resize(conn.slot() + 1);
  }
  void on_frame(Connection& conn, const PhxFrame& frame) override;

  void start(double rate, double seconds);

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> acked{0};  // ok replies
  std::uint64_t sent = 0, skipped = 0, stalled_ticks = 0, errors = 0;
  std::uint64_t start_ns = 0, end_ns = 0, last_reply_ns = 0;
  std::int64_t min_version = -1, max_version = -1;
  std::string first_error;
  LatencyHistogram latency;

 private:
  void tick();

  ClientLoop& loop_;
  boost::asio::steady_timer timer_;
  std::vector<Connection*> conns_;
  std::vector<std::unordered_map<std::uint64_t, std::uint64_t>> pending_;  // by slot: ref → sent ns
  std::size_t next_conn_ = 0;
  double rate_ = 0;
  std::uint64_t deadline_ns_ = 0, max_burst_ = 1;
};

void Writers::start(double rate, double seconds) {
  rate_ = rate;
  max_burst_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(rate * kMaxLagSeconds));
  start_ns = steady_ns();
  deadline_ns_ = start_ns + static_cast<std::uint64_t>(seconds * 1e9);
  timer_.expires_after(std::chrono::nanoseconds(0));
  tick();
}

void Writers::tick() {
  std::uint64_t now = steady_ns();
  if (now >= deadline_ns_ || conns_.empty()) {
    end_ns = std::min(now, deadline_ns_);
    done.store(true, std::memory_order_release);
    return;
  }
  auto due = static_cast<std::uint64_t>(rate_ * ns_to_s(now - start_ns)) + 1;
  std::uint64_t owed = due > sent + skipped ? due - sent - skipped : 0;
  if (owed > max_burst_) {
    skipped += owed - max_burst_;
    owed = max_burst_;
  }
  bool stalled = false;
  for (std::uint64_t i = 0; i < owed; ++i) {
    Connection* conn = nullptr;
    for (std::size_t tries = 0; tries < conns_.size() && !conn; ++tries) {  // next usable writer
      Connection* c = conns_[next_conn_++ % conns_.size()];
      if (c->state() == Connection::State::joined && c->queued_bytes() <= kMaxQueuedBytes) conn = c;
    }
    if (!conn) {
      stalled = true;
      break;
    }
    std::uint64_t ref = conn->push("op", kOp);
    pending_[conn->slot()].emplace(ref, now);
    ++sent;
  }
  if (stalled) ++stalled_ticks;
  timer_.expires_at(timer_.expiry() + kTick);
  if (timer_.expiry() < std::chrono::steady_clock::now()) timer_.expires_after(kTick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void Writers::on_frame(Connection& conn, const PhxFrame& frame) {
  if (frame.event != "phx_reply" || frame.ref_null) return;  // patches: the subscribers' business
  auto ref = ref_number(frame.ref);
  if (!ref) return;
  auto& pending = pending_[conn.slot()];
  auto it = pending.find(*ref);
  if (it == pending.end()) return;
  latency.record(loop_.now_ns > it->second ? loop_.now_ns - it->second : 0);
  pending.erase(it);
  last_reply_ns = loop_.now_ns;
  if (scan_reply_status(frame.payload) != "ok") {
    if (first_error.empty()) first_error = std::string(frame.payload.substr(0, 200));
    ++errors;
    return;
  }
  if (auto v = find_int_member(frame.payload, "\"version\"")) {
    if (min_version < 0 || *v < min_version) min_version = *v;
    max_version = std::max(max_version, *v);
  }
  acked.store(acked.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

}  // namespace

int run_store(const BenchOptions& opts) {
  std::string topic = "store:" + opts.key;
  std::printf("cohort-bench store  %s  topic %s  %u subscribers, %u writers, %s ops/s for %s s\n",
              opts.target.url().c_str(), topic.c_str(), opts.subscribers, opts.writers, fixed(opts.rate, 0).c_str(),
              fixed(opts.duration_s, 1).c_str());
  std::fflush(stdout);
  const unsigned writer_loop = opts.threads;
  ClientPool pool(opts.threads + 1);
  SetupProgress progress;
  std::vector<std::unique_ptr<PatchCounter>> counters;
  std::vector<std::unique_ptr<ConnOpener>> openers;
  Writers writers(pool.loop(writer_loop));
  ConnOpener writer_opener(pool.loop(writer_loop), opts.target, progress, writers);
  struct StopFirst {  // stops the loops before the handlers above are freed
    ClientPool& pool;
    ~StopFirst() { pool.stop(); }
  } stop_first{pool};
  for (unsigned i = 0; i < writer_loop; ++i) {
    counters.push_back(std::make_unique<PatchCounter>());
    openers.push_back(std::make_unique<ConnOpener>(pool.loop(i), opts.target, progress, *counters[i]));
  }
  pool.start_heartbeats(std::chrono::seconds(25));

  std::string params = "{\"token\":" + boost::json::serialize(boost::json::string(opts.token)) + "}";
  auto params_of = [params](std::uint32_t) { return params; };
  auto topic_of = [topic](std::uint32_t) { return topic; };
  auto timeout = std::chrono::milliseconds(static_cast<long>(opts.setup_timeout_s * 1000));
  std::uint64_t t_setup = steady_ns();
  open_spread(pool, openers, opts.subscribers, opts.max_in_flight, topic_of, Connection::kDefaultWakeSize, params_of);
  if (auto err = await_joined(progress, opts.subscribers, timeout)) return setup_failed(*err);
  pool.run_on(writer_loop, [&](ClientLoop&) {
    ConnOpener::Plan plan;
    plan.first_index = opts.subscribers;
    plan.count = opts.writers;
    plan.max_in_flight = opts.max_in_flight;
    plan.topic_of = topic_of;
    plan.params_of = params_of;
    writer_opener.start(std::move(plan));
  });
  if (auto err = await_joined(progress, opts.subscribers + opts.writers, timeout)) return setup_failed(*err);
  double setup_s = ns_to_s(steady_ns() - t_setup);

  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  pool.run_on(writer_loop, [&](ClientLoop&) { writers.start(opts.rate, opts.duration_s); });
  wait_until([&] { return writers.done.load(std::memory_order_acquire); },
             std::chrono::milliseconds(static_cast<long>(opts.duration_s * 1000) + 10000));
  CpuUsage cpu = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));
  std::uint64_t sent = 0, errors = 0;
  pool.run_on(writer_loop, [&](ClientLoop&) {
    sent = writers.sent;
    errors = writers.errors;
  });

  // Drain: every op answered, then every subscriber at the final version.
  auto drain = std::chrono::milliseconds(static_cast<long>(opts.drain_s * 1000));
  bool replies_done = wait_until(
      [&] {
        std::uint64_t e = 0;
        pool.run_on(writer_loop, [&](ClientLoop&) { e = writers.errors; });
        return writers.acked.load(std::memory_order_acquire) + e >= sent;
      },
      drain);
  std::int64_t v_min = -1, v_max = -1;
  double publish_s = 0, reply_window_s = 0;
  std::uint64_t acked = 0, skipped = 0, stalled = 0;
  LatencyHistogram latency;
  std::string first_error;
  pool.run_on(writer_loop, [&](ClientLoop&) {
    v_min = writers.min_version;
    v_max = writers.max_version;
    publish_s = ns_to_s(writers.end_ns - writers.start_ns);
    reply_window_s = ns_to_s(std::max(writers.last_reply_ns, writers.end_ns) - writers.start_ns);
    acked = writers.acked.load();
    errors = writers.errors;
    skipped = writers.skipped;
    stalled = writers.stalled_ticks;
    latency = writers.latency;
    first_error = writers.first_error;
  });
  auto at_final = [&] {
    std::uint64_t n = 0;
    for (unsigned i = 0; i < writer_loop; ++i)
      pool.run_on(i, [&](ClientLoop& loop) {
        for (const Follower& f : counters[loop.index]->followers) n += f.last_to >= v_max ? 1 : 0;
      });
    return n;
  };
  bool subscribers_done = v_max < 0 || wait_until([&] { return at_final() >= opts.subscribers; }, drain);

  std::uint64_t patches = 0, versions = 0, gaps = 0, whole = 0, malformed = 0, reached = 0;
  const std::int64_t v0 = v_min - 1;
  for (unsigned i = 0; i < writer_loop; ++i)
    pool.run_on(i, [&](ClientLoop& loop) {
      const PatchCounter& c = *counters[loop.index];
      malformed += c.malformed;
      for (const Follower& f : c.followers) {
        patches += f.patches;
        versions += f.versions;
        gaps += f.gaps;
        if (f.last_to >= v_max) ++reached;
        if (f.gaps == 0 && f.first_from == v0 && f.last_to == v_max) ++whole;
      }
    });
  std::uint64_t dropped = progress.dropped.load();

  Report report("store");
  report.figure("topic", boost::json::string(topic), "topic", topic);
  report.figure("subscribers", opts.subscribers, "subscribers", with_commas(opts.subscribers));
  report.figure("writers", opts.writers, "writers", std::to_string(opts.writers));
  report.figure("setup_seconds", std::round(setup_s * 1000) / 1000, "connect + join", fixed(setup_s, 2) + " s");
  report.figure("target_rate", opts.rate, "target rate", fixed(opts.rate, 0) + " ops/s");
  report.figure("ops_sent", sent, "ops sent",
                with_commas(sent) + " in " + fixed(publish_s, 2) + " s (" + fixed(publish_s > 0 ? sent / publish_s : 0, 0) +
                    " ops/s)");
  double acked_per_s = reply_window_s > 0 ? acked / reply_window_s : 0;
  report.figure("ops_acked", acked, "ops acknowledged",
                with_commas(acked) + (replies_done ? "" : " (drain timed out)") +
                    (errors ? ", " + with_commas(errors) + " refused (first: " + first_error + ")" : ""));
  report.figure("acked_per_s", std::round(acked_per_s), "acknowledged/s",
                with_commas(static_cast<std::uint64_t>(acked_per_s)) + " ops/s");
  report.latency("op_", "op reply latency", latency);
  report.figure("writer_skipped", skipped, "writers skipped", with_commas(skipped) + " (loop > 100 ms behind)");
  report.figure("writer_stalled_ticks", stalled, "writers stalled", with_commas(stalled) + " ticks (sockets backed up)");
  if (v_max >= 0)
    report.figure("versions", boost::json::object{{"from", v0}, {"to", v_max}}, "versions",
                  std::to_string(v0) + " → " + std::to_string(v_max));
  else
    report.figure("versions", nullptr, "versions", "none acknowledged");
  double per_sub_s = publish_s > 0 && opts.subscribers ? static_cast<double>(patches) / opts.subscribers / publish_s : 0;
  report.figure("patches", patches, "patches received", with_commas(patches));
  report.figure("patches_per_subscriber_per_s", std::round(per_sub_s * 10) / 10, "patches/subscriber/s",
                fixed(per_sub_s, 1));
  double folded = patches ? static_cast<double>(versions) / patches : 0;
  report.figure("versions_per_patch", std::round(folded * 100) / 100, "versions per patch", fixed(folded, 2));
  report.figure("gaps", gaps, "gaps", with_commas(gaps) + (malformed ? " (" + with_commas(malformed) + " malformed)" : ""));
  report.figure("subscribers_at_final", reached, "at final version",
                with_commas(reached) + " of " + with_commas(opts.subscribers) + (subscribers_done ? "" : " (drain timed out)"));
  report.figure("subscribers_whole", whole, "whole (no gap, v0→final)",
                with_commas(whole) + " of " + with_commas(opts.subscribers));
  report.figure("dropped_connections", dropped, "dropped connections",
                with_commas(dropped) + (dropped ? " (first: " + progress.first_drop() + ")" : ""));
  report_cpu(report, cpu);
  report_bench_memory(report);
  report.print();
  if (dropped == 0 && (whole < opts.subscribers || errors > 0 || !replies_done)) {
    std::fprintf(stderr, "cohort-bench: warning: %llu of %u subscribers whole, %llu ops refused\n",
                 static_cast<unsigned long long>(whole), opts.subscribers, static_cast<unsigned long long>(errors));
    return 3;
  }
  return run_finished(dropped, progress.first_drop());
}

}  // namespace cohort::bench
