// live.cpp — `cohort-bench live <mount|change|sustained|events>`: N connected live views of one
// page (live_views.hpp: opened, joined and kept as the official client does) and what they cost.
//
// mount      N views joined: total time, mount latency (GET to join reply), failures, and with
//            --server-pid the server's RSS growth per view (VmRSS before and after, over N).
// change     R rounds; in each, one extra view (the clicker, on a loop of its own) clicks the
//            event (the counter's "inc"), and the round ends when every view shows the clicker's
//            new value (bounded by --round-timeout). Latency of each view from the click's ack
//            (its phx_reply) to the view showing the value, bytes per view per change, and the
//            server's CPU time (utime + stime) per change.
// sustained  for each of --rates K: --clickers views (4) click K times a second in all for
//            --duration s (not waiting for replies; each socket's are answered in order) while N
//            views follow; latency of every change to every view from its ack, p99 and max per
//            rate, the changes/s actually made and the clicks' reply latency.
// events     C clicker views each click in a closed loop (one event outstanding) for --duration
//            s while N views follow: round trips/s, reply latency, and whether each clicker's
//            own change came in its reply's diff or later.
// Every mode checks at its end that every view shows the last value; a view that does not, or
// whose tree a diff did not apply to, is a failure. Each value a view shows is read from its
// tree (the slot after --value-after), so a diff merged wrong shows as a wrong value.
// The change modes assume the run's clicks are the only changes to the value.
#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <cmath>
#include <memory>
#include <thread>

#include "bench_clock.hpp"
#include "client_loop.hpp"
#include "cpu_usage.hpp"
#include "live_views.hpp"
#include "modes.hpp"
#include "report.hpp"

namespace cohort::bench {

namespace {

using std::chrono::milliseconds;

milliseconds ms_of(double seconds) { return milliseconds(static_cast<long>(seconds * 1000)); }

double server_cpu_ms(const CpuSnapshot& a, const CpuSnapshot& b) {
  if (!a.server_known || !b.server_known) return -1;
  return static_cast<double>(b.server_ticks - a.server_ticks) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The views of a run: the followers over --threads loops, the clickers on one more.
class LiveRun {
 public:
  LiveRun(const BenchOptions& opts, unsigned clickers)
      : opts_(opts), clicker_count_(clickers), pool_(opts.threads + (clickers ? 1 : 0)) {
    config_.page = opts.page;
    config_.deflate = opts.deflate;
    config_.marker = opts.live_mode == "mount" && !opts.value_after_set ? "" : opts.value_after;
    config_.event_name = opts.event;
    config_.event_value = opts.event_value;
    config_.fetch_timeout = ms_of(opts.setup_timeout_s);
    for (unsigned i = 0; i < opts.threads; ++i)
      followers_.push_back(std::make_unique<LiveLoop>(pool_.loop(i), config_, counts_));
    if (clickers) clicker_loop_ = std::make_unique<LiveLoop>(pool_.loop(opts.threads), config_, clicker_counts_);
    pool_.start_heartbeats(std::chrono::seconds(25));  // as the official client (30 s): the node closes silent sockets
  }
  ~LiveRun() { pool_.stop(); }  // before the loops' handlers are freed

  ClientPool& pool() { return pool_; }
  LiveCounts& counts() { return counts_; }
  LiveLoop& clickers() { return *clicker_loop_; }
  unsigned clicker_loop_index() const { return opts_.threads; }

  // Opens the followers (failures counted, the others go on); false on timeout.
  bool open_followers() {
    auto loops = static_cast<std::uint32_t>(followers_.size());
    pool_.run_on_all([&](ClientLoop& loop) {
      if (loop.index >= loops) return;
      std::uint32_t n = opts_.views / loops + (loop.index < opts_.views % loops ? 1 : 0);
      followers_[loop.index]->open(loop.index, loops, n, std::max(1u, opts_.max_in_flight / loops));
    });
    return wait_until([&] { return counts_.joined.load() + counts_.failed.load() >= opts_.views; },
                      ms_of(opts_.setup_timeout_s));
  }

  bool open_clickers() {
    pool_.run_on(clicker_loop_index(), [&](ClientLoop&) { clicker_loop_->open(opts_.views, 1, clicker_count_, clicker_count_); });
    return wait_until([&] { return clicker_counts_.joined.load() + clicker_counts_.failed.load() >= clicker_count_; },
                      ms_of(opts_.setup_timeout_s));
  }

  // Runs fn on every follower loop with its LiveLoop.
  void each_follower(const std::function<void(LiveLoop&)>& fn) {
    for (unsigned i = 0; i < followers_.size(); ++i) pool_.run_on(i, [&](ClientLoop&) { fn(*followers_[i]); });
  }
  void on_clickers(const std::function<void(LiveLoop&)>& fn) {
    pool_.run_on(clicker_loop_index(), [&](ClientLoop&) { fn(*clicker_loop_); });
  }

  std::uint64_t holding(std::int64_t v) {
    std::uint64_t n = 0;
    each_follower([&](LiveLoop& l) { n += l.holding(v); });
    return n;
  }
  // Waits until every follower shows v; returns how many do.
  std::uint64_t await_holding(std::int64_t v, milliseconds timeout) {
    std::uint64_t n = 0;
    wait_until([&] { return (n = holding(v)) >= opts_.views; }, timeout);
    return n;
  }
  void set_logging(bool on) {
    each_follower([&](LiveLoop& l) { l.set_logging(on); });
  }
  std::uint64_t follower_bytes() {
    std::uint64_t n = 0;
    for (unsigned i = 0; i < followers_.size(); ++i) pool_.run_on(i, [&](ClientLoop& loop) { n += loop.bytes_in; });
    return n;
  }
  ChangeLatency latencies(const std::vector<Change>& changes) {
    ChangeLatency out;
    each_follower([&](LiveLoop& l) {
      for (const auto& view : l.views())
        if (!view->broken) add_change_latencies(changes, view->log, out);
    });
    return out;
  }
  std::string first_problem() {
    std::string why;
    each_follower([&](LiveLoop& l) {
      if (why.empty()) why = l.first_failure();
      if (why.empty()) why = l.first_broken();
    });
    if (why.empty() && clicker_loop_)
      on_clickers([&](LiveLoop& l) { why = l.first_failure().empty() ? l.first_broken() : l.first_failure(); });
    return why;
  }
  std::uint64_t failures() {
    std::uint64_t n = counts_.failed + counts_.dropped + counts_.broken;
    return n + clicker_counts_.failed + clicker_counts_.dropped + clicker_counts_.broken;
  }

 private:
  const BenchOptions& opts_;
  unsigned clicker_count_;
  LiveViewConfig config_;
  LiveCounts counts_, clicker_counts_;
  ClientPool pool_;
  std::vector<std::unique_ptr<LiveLoop>> followers_;
  std::unique_ptr<LiveLoop> clicker_loop_;
};

// Stops the run's loops when it leaves scope: declared after what their handlers use (a mode's
// locals), it stops them before those are freed.
struct StopLoopsFirst {
  ClientPool& pool;
  ~StopLoopsFirst() { pool.stop(); }
};

void report_header(Report& report, const BenchOptions& opts) {
  report.figure("page", boost::json::string(opts.page.url), "page", opts.page.url);
  report.figure("views", opts.views, "views", with_commas(opts.views));
  report.figure("threads", opts.threads, "loader threads", std::to_string(opts.threads));
}

// Failures, printed and in the JSON; the exit status follows from them.
int report_end(Report& report, LiveRun& run, std::uint64_t not_at_final,
               std::string_view not_at_final_why = "views not showing the last value") {
  std::uint64_t failures = run.failures() + not_at_final;
  std::string why = run.first_problem();
  if (why.empty() && not_at_final) why = not_at_final_why;
  report.figure("failures", failures, "failures", with_commas(failures) + (failures ? " (first: " + why + ")" : ""));
  report_bench_memory(report);
  report.print();
  if (failures == 0) return 0;
  std::fprintf(stderr, "cohort-bench: warning: %llu live view failures (first: %s)\n",
               static_cast<unsigned long long>(failures), why.c_str());
  return 3;
}

void report_change_latency(Report& report, const ChangeLatency& lat, std::uint64_t changes, unsigned views) {
  report.latency("ack_to_view_", "ack → view", lat.from_ack);
  report.latency("click_to_view_", "click → view", lat.from_click);
  report.figure("shown_before_ack", lat.before_ack, "shown before the ack",
                with_commas(lat.before_ack) + " of " + with_commas(changes * views) + " (view, change) pairs");
  report.figure("missed", lat.missed, "never shown", with_commas(lat.missed) + " (view, change) pairs (folded into a later diff is shown)");
}

int run_mount(const BenchOptions& opts) {
  LiveRun run(opts, 0);
  std::uint64_t rss_before = opts.server_pid ? rss_bytes(std::to_string(opts.server_pid)) : 0;
  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  std::uint64_t t0 = steady_ns();
  bool done = run.open_followers();
  CpuUsage cpu = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));
  std::uint64_t rss_after = opts.server_pid ? rss_bytes(std::to_string(opts.server_pid)) : 0;
  LatencyHistogram latency;
  std::uint64_t last_join = t0;
  std::optional<std::int64_t> value;
  run.each_follower([&](LiveLoop& l) {
    latency.merge(l.mount_latency());
    last_join = std::max(last_join, l.last_join_ns());
    for (const auto& v : l.views())
      if (!value && v->value) value = v->value;
  });
  std::uint64_t joined = run.counts().joined.load();
  Report report("live mount");
  report_header(report, opts);
  double seconds = ns_to_s(last_join - t0);
  report.figure("joined", joined, "views joined", with_commas(joined) + (done ? "" : " (setup timed out)"));
  report.figure("mount_seconds", std::round(seconds * 1000) / 1000, "all joined in", fixed(seconds, 2) + " s");
  report.figure("mounts_per_s", std::round(seconds > 0 ? joined / seconds : 0), "mounts/s",
                fixed(seconds > 0 ? joined / seconds : 0, 0));
  report.latency("mount_", "mount (GET → joined)", latency);
  if (opts.server_pid) {
    double per_view = joined ? (static_cast<double>(rss_after) - static_cast<double>(rss_before)) / joined : 0;
    report.figure("server_rss_before", rss_before, "server rss before", fixed(rss_before / 1048576.0, 1) + " MiB");
    report.figure("server_rss_after", rss_after, "server rss after", fixed(rss_after / 1048576.0, 1) + " MiB");
    report.figure("server_rss_per_view", std::round(per_view), "server rss per view", fixed(per_view / 1024, 1) + " KiB");
  }
  if (value) report.figure("value", *value, "value shown", std::to_string(*value));
  report_cpu(report, cpu);
  return report_end(report, run, done ? 0 : opts.views - joined - run.counts().failed.load(),
                    "views not joined when the setup timed out");
}

// Setup of the change modes: followers and clickers joined, nothing failed, every view shows the
// same value. Returns the error or nullopt; value is the value shown.
std::optional<std::string> open_all(LiveRun& run, const BenchOptions& opts, std::int64_t& value) {
  if (!run.open_followers() || run.counts().failed.load() > 0)
    return "opening the views: " + std::to_string(run.counts().joined.load()) + " of " + std::to_string(opts.views) +
           " joined (first failure: " + run.first_problem() + ")";
  if (!run.open_clickers() || run.failures() > 0) return "opening the clicker views: " + run.first_problem();
  std::optional<std::int64_t> v;
  run.on_clickers([&](LiveLoop& l) { v = l.views().front()->value; });
  if (!v) return std::string("the clicker shows no value");
  value = *v;
  if (run.await_holding(value, ms_of(opts.round_timeout_s)) < opts.views)
    return "the views do not all show the clicker's value " + std::to_string(value);
  return std::nullopt;
}

int run_change(const BenchOptions& opts) {
  LiveRun run(opts, 1);
  std::int64_t value = 0;
  if (auto err = open_all(run, opts, value)) return setup_failed(*err);
  run.set_logging(true);
  std::vector<Change> changes;
  std::uint64_t in_reply = 0, not_at_final = 0;
  std::uint64_t bytes_before = run.follower_bytes();
  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  std::atomic<bool> acked{false};
  ClickReply last;
  StopLoopsFirst stop_first{run.pool()};
  run.on_clickers([&](LiveLoop& l) {
    l.on_reply = [&](LiveView&, const ClickReply& r) {
      last = r;
      acked.store(true, std::memory_order_release);
    };
  });
  for (unsigned round = 0; round < opts.rounds; ++round) {
    acked = false;
    bool sent = false;
    run.on_clickers([&](LiveLoop& l) { sent = l.click(*l.views().front()); });
    if (!sent || !wait_until([&] { return acked.load(std::memory_order_acquire); }, ms_of(opts.round_timeout_s)))
      return setup_failed("round " + std::to_string(round + 1) + ": the click was not answered: " + run.first_problem());
    ClickReply r;
    std::optional<std::int64_t> shown;
    run.on_clickers([&](LiveLoop& l) {
      r = last;
      shown = l.views().front()->value;
    });
    // The new value: in the reply's diff, or else pushed to the clicker soon after.
    if (!r.value_changed)
      wait_until(
          [&] {
            run.on_clickers([&](LiveLoop& l) { shown = l.views().front()->value; });
            return shown != value;
          },
          ms_of(opts.round_timeout_s));
    if (!shown || *shown == value) return setup_failed("round " + std::to_string(round + 1) + ": the clicker's value did not change");
    in_reply += r.value_changed ? 1 : 0;
    value = *shown;
    changes.push_back({value, r.sent_ns, r.at_ns});
    not_at_final = opts.views - run.await_holding(value, ms_of(opts.round_timeout_s));
    if (not_at_final) break;
  }
  CpuSnapshot cpu_after = cpu_snapshot(opts.server_pid);
  std::uint64_t bytes = run.follower_bytes() - bytes_before;
  run.set_logging(false);
  ChangeLatency lat = run.latencies(changes);

  Report report("live change");
  report_header(report, opts);
  report.figure("rounds", changes.size(), "changes", std::to_string(changes.size()) + " of " + std::to_string(opts.rounds) + " rounds");
  report.figure("final_value", value, "final value", std::to_string(value));
  report.figure("clicker_value_in_reply", in_reply, "clicker's change in reply",
                std::to_string(in_reply) + " of " + std::to_string(changes.size()));
  report_change_latency(report, lat, changes.size(), opts.views);
  double per_view = changes.empty() || opts.views == 0 ? 0 : static_cast<double>(bytes) / opts.views / changes.size();
  report.figure("bytes_per_view_per_change", std::round(per_view), "bytes per view per change",
                fixed(per_view, 0) + " (WebSocket bytes read, compressed when deflate is on)");
  double cpu_ms = server_cpu_ms(cpu_before, cpu_after);
  if (cpu_ms >= 0 && !changes.empty())
    report.figure("server_cpu_ms_per_change", std::round(cpu_ms / changes.size() * 100) / 100, "server cpu per change",
                  fixed(cpu_ms / changes.size(), 2) + " ms (utime + stime, 10 ms ticks)");
  return report_end(report, run, not_at_final);
}

// The clickers of sustained: clicks paced at rate for seconds on a 1 ms timer, spread over the
// clicker views (each to the one with the fewest in flight), without waiting for replies (a
// socket's events are answered in order, each once its change is in the view, so one socket
// alone makes about one change per frame). Each click answered ok is a change to the value the
// clicker shows once its reply is merged. Loop-thread only, except done.
class PacedClickers {
 public:
  PacedClickers(LiveLoop& loop, ClientLoop& client_loop) : loop_(loop), timer_(client_loop.io) {}

  void start(double rate, double seconds) {
    rate_ = rate;
    start_ns_ = steady_ns();
    end_ns_ = start_ns_ + static_cast<std::uint64_t>(seconds * 1e9);
    sent_ = answered = errors = not_in_reply = 0;
    last_ack_ns = 0;
    reply_latency.reset();
    changes.clear();
    done = false;
    loop_.on_reply = [this](LiveView&, const ClickReply& r) { on_reply(r); };
    tick();
  }
  std::vector<Change> changes;  // the clicks answered ok, by value
  std::uint64_t answered = 0, errors = 0, not_in_reply = 0, last_ack_ns = 0;
  LatencyHistogram reply_latency;  // click → its reply
  std::atomic<bool> done{false};
  std::uint64_t sent() const { return sent_; }
  std::uint64_t start_ns() const { return start_ns_; }

 private:
  void tick() {
    std::uint64_t now = steady_ns();
    if (now >= end_ns_) return finish_if_answered();
    auto due = static_cast<std::uint64_t>(rate_ * ns_to_s(now - start_ns_)) + 1;
    while (sent_ < due && click_least_busy()) ++sent_;
    timer_.expires_after(std::chrono::milliseconds(1));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  }
  bool click_least_busy() {
    LiveView* best = nullptr;
    for (auto& v : loop_.views())
      if (!v->broken && (!best || v->clicks.size() < best->clicks.size())) best = v.get();
    return best && loop_.click(*best, /*pipelined=*/true);
  }
  void on_reply(const ClickReply& r) {
    ++answered;
    last_ack_ns = r.at_ns;
    reply_latency.record(r.at_ns - r.sent_ns);
    if (r.ok && r.value) {
      if (!r.value_changed) ++not_in_reply;
      Change c{*r.value, r.sent_ns, r.at_ns};
      changes.insert(std::upper_bound(changes.begin(), changes.end(), c,
                                      [](const Change& a, const Change& b) { return a.value < b.value; }),
                     c);
    } else {
      ++errors;
    }
    if (steady_ns() >= end_ns_) finish_if_answered();
  }
  void finish_if_answered() {
    if (answered >= sent_) done.store(true, std::memory_order_release);
  }

  LiveLoop& loop_;
  boost::asio::steady_timer timer_;
  double rate_ = 0;
  std::uint64_t start_ns_ = 0, end_ns_ = 0, sent_ = 0;
};

int run_sustained(const BenchOptions& opts) {
  LiveRun run(opts, opts.clickers);
  std::int64_t value = 0;
  if (auto err = open_all(run, opts, value)) return setup_failed(*err);
  PacedClickers clicker(run.clickers(), run.pool().loop(run.clicker_loop_index()));
  StopLoopsFirst stop_first{run.pool()};
  Report report("live sustained");
  report_header(report, opts);
  boost::json::array steps;
  std::uint64_t not_at_final = 0;
  for (double rate : opts.rates) {
    run.set_logging(true);
    CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
    run.on_clickers([&](LiveLoop&) { clicker.start(rate, opts.duration_s); });
    bool answered = wait_until([&] { return clicker.done.load(std::memory_order_acquire); },
                               ms_of(opts.duration_s + opts.round_timeout_s));
    std::vector<Change> changes;
    std::uint64_t sent = 0, answered_n = 0, errors = 0, not_in_reply = 0, start_ns = 0, last_ack_ns = 0;
    LatencyHistogram reply;
    run.on_clickers([&](LiveLoop& l) {
      changes = clicker.changes;
      answered_n = clicker.answered;
      sent = clicker.sent();
      errors = clicker.errors;
      not_in_reply = clicker.not_in_reply;
      start_ns = clicker.start_ns();
      last_ack_ns = clicker.last_ack_ns;
      reply = clicker.reply_latency;
      for (auto& v : l.views())  // replies still owed: the views are to show what the clickers show
        if (v->value) value = std::max(value, *v->value);
    });
    if (!changes.empty()) value = std::max(value, changes.back().value);
    double made_per_s = last_ack_ns > start_ns ? changes.size() / ns_to_s(last_ack_ns - start_ns) : 0;
    std::uint64_t holding = run.await_holding(value, ms_of(opts.round_timeout_s));
    CpuUsage cpu = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));
    run.set_logging(false);
    ChangeLatency lat = run.latencies(changes);
    not_at_final += opts.views - holding;
    std::uint64_t p99 = lat.from_ack.percentile(0.99), max = lat.from_ack.max();
    char line[512];
    std::snprintf(line, sizeof line,
                  "  rate %6.1f/s  clicks %5llu  answered %5llu%s (%llu refused, %.1f changes/s)  ack → view p50 %8.3f  p99 %8.3f  max %8.3f ms  "
                  "at final %llu/%u  cpu server %.0f%% bench %.0f%%",
                  rate, static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered_n),
                  answered ? "" : " (timed out)", static_cast<unsigned long long>(errors), made_per_s, ms3(lat.from_ack.percentile(0.5)),
                  ms3(p99), ms3(max),
                  static_cast<unsigned long long>(holding), opts.views, cpu.server, cpu.bench);
    report.line(line);
    steps.push_back(boost::json::object{{"rate", rate},
                                        {"clicks", sent},
                                        {"answered", answered_n},
                                        {"refused", errors},
                                        {"changes_per_s", std::round(made_per_s * 10) / 10},
                                        {"click_to_ack_p50_ms", ms3(reply.percentile(0.5))},
                                        {"click_to_ack_p99_ms", ms3(reply.percentile(0.99))},
                                        {"change_not_in_reply", not_in_reply},
                                        {"ack_to_view_p50_ms", ms3(lat.from_ack.percentile(0.5))},
                                        {"ack_to_view_p99_ms", ms3(p99)},
                                        {"ack_to_view_max_ms", ms3(max)},
                                        {"click_to_view_p99_ms", ms3(lat.from_click.percentile(0.99))},
                                        {"missed", lat.missed},
                                        {"views_at_final", holding},
                                        {"cpu_server_pct", std::round(cpu.server)},
                                        {"cpu_bench_pct", std::round(cpu.bench)}});
    if (!answered || holding < opts.views || errors) break;
  }
  report.json("steps", std::move(steps));
  report.figure("final_value", value, "final value", std::to_string(value));
  return report_end(report, run, not_at_final);
}

int run_events(const BenchOptions& opts) {
  LiveRun run(opts, opts.clickers);
  std::int64_t value = 0;
  if (auto err = open_all(run, opts, value)) return setup_failed(*err);
  LatencyHistogram latency;
  std::uint64_t in_reply = 0, later = 0, errors = 0, replies = 0;
  std::uint64_t start_ns = 0, end_ns = 0;
  std::int64_t last_value = value;
  std::atomic<bool> stop{false};
  std::atomic<unsigned> idle{0};
  StopLoopsFirst stop_first{run.pool()};
  run.on_clickers([&](LiveLoop& l) {
    l.on_reply = [&](LiveView& v, const ClickReply& r) {
      latency.record(r.at_ns - r.sent_ns);
      ++replies;
      if (!r.ok) ++errors;
      if (r.ok) (r.value_changed ? in_reply : later) += 1;
      if (r.value) last_value = std::max(last_value, *r.value);
      if (stop.load(std::memory_order_relaxed) || !l.click(v)) idle.fetch_add(1, std::memory_order_release);
    };
    start_ns = steady_ns();
    for (auto& v : l.views()) l.click(*v);
  });
  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  std::this_thread::sleep_for(ms_of(opts.duration_s));  // the measured phase: clickers run on their loop
  stop = true;
  bool drained = wait_until([&] { return idle.load(std::memory_order_acquire) >= opts.clickers; }, ms_of(opts.round_timeout_s));
  CpuUsage cpu = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));
  run.on_clickers([&](LiveLoop& l) {
    end_ns = steady_ns();
    l.on_reply = nullptr;
    for (auto& v : l.views())
      if (v->value) last_value = std::max(last_value, *v->value);
  });
  // Each click adds one: the final value is known from the count of answered clicks.
  std::int64_t final_value = value + static_cast<std::int64_t>(replies - errors);
  std::uint64_t holding = run.await_holding(final_value, ms_of(opts.round_timeout_s));
  double seconds = ns_to_s(end_ns - start_ns);

  Report report("live events");
  report_header(report, opts);
  report.figure("clickers", opts.clickers, "clickers", std::to_string(opts.clickers));
  report.figure("events", replies, "events answered",
                with_commas(replies) + " in " + fixed(seconds, 2) + " s" + (drained ? "" : " (drain timed out)"));
  report.figure("events_per_s", std::round(seconds > 0 ? replies / seconds : 0), "round trips/s",
                fixed(seconds > 0 ? replies / seconds : 0, 0));
  report.latency("reply_", "reply latency", latency);
  report.figure("change_in_reply", in_reply, "own change in reply", with_commas(in_reply) + " of " + with_commas(replies));
  report.figure("change_later", later, "own change later", with_commas(later) + " (not in the reply's diff)");
  report.figure("final_value", final_value, "final value",
                std::to_string(final_value) + " (clickers show " + std::to_string(last_value) + ")");
  report.figure("views_at_final", holding, "views at final value", with_commas(holding) + " of " + with_commas(opts.views));
  report_cpu(report, cpu);
  if (cpu.server >= 0 && replies)
    report.figure("server_cpu_us_per_event", std::round(cpu.server / 100.0 * seconds * 1e6 / replies), "server cpu per event",
                  fixed(cpu.server / 100.0 * seconds * 1e6 / replies, 0) + " µs");
  std::uint64_t wrong = (opts.views - holding) + (last_value != final_value ? 1 : 0) + errors;
  return report_end(report, run, wrong);
}

}  // namespace

int run_live(const BenchOptions& opts) {
  std::printf("cohort-bench live %s  %s  %u views\n", opts.live_mode.c_str(), opts.page.url.c_str(), opts.views);
  std::fflush(stdout);
  if (opts.live_mode == "mount") return run_mount(opts);
  if (opts.live_mode == "change") return run_change(opts);
  if (opts.live_mode == "sustained") return run_sustained(opts);
  return run_events(opts);
}

}  // namespace cohort::bench
