// fanout.cpp — `cohort-bench fanout`: one publisher shouts on a topic, N subscribers count and
// time every broadcast; with --ramp, step the rate up until latency or loss breaks the limit.
//
// Threads: --threads loops for the subscribers, plus one loop for the publisher alone, so that
// subscribers falling behind show up as latency instead of slowing the publisher down.
// A step: every loop resets its counters, the publisher publishes for the step's time, then the
// controller waits (up to --drain-seconds) until sent × subscribers broadcasts have arrived.
// lost = expected − delivered; delivered/s = deliveries / publish window.
#include <algorithm>
#include <boost/json/array.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench_clock.hpp"
#include "client_loop.hpp"
#include "conn_opener.hpp"
#include "cpu_usage.hpp"
#include "modes.hpp"
#include "publisher.hpp"
#include "report.hpp"
#include "shout_counter.hpp"

namespace cohort::bench {

namespace {

namespace json = boost::json;

struct StepResult {
  double target_rate = 0;
  std::uint64_t sent = 0;
  std::uint64_t skipped = 0;
  std::uint64_t stalled_ticks = 0;
  double publish_s = 0;
  std::uint64_t expected = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t late = 0;
  std::uint64_t malformed = 0;
  std::uint64_t dropped = 0;  // connections lost so far in the run
  bool drained = false;
  LatencyHistogram latency;
  CpuUsage cpu;  // over the publish window

  double delivered_per_s() const { return publish_s > 0 ? static_cast<double>(delivered) / publish_s : 0; }
  double p99_ms() const { return ms3(latency.percentile(0.99)); }
};

class FanoutRun {
 public:
  explicit FanoutRun(const BenchOptions& opts) : opts_(opts), pool_(opts.threads + 1), publisher_loop_(opts.threads) {}
  ~FanoutRun() { pool_.stop(); }  // before the handlers the loops point at are freed

  std::optional<std::string> setup();
  StepResult step(double rate, double seconds);
  double setup_s() const { return setup_s_; }
  std::string first_drop() const { return progress_.first_drop(); }

 private:
  std::uint64_t total_delivered() const;
  // Adds the subscribers' figures of the step to r (each read on its own loop).
  void collect(StepResult& r);

  const BenchOptions& opts_;
  ClientPool pool_;
  SetupProgress progress_;
  std::vector<std::unique_ptr<ShoutCounter>> counters_;
  std::vector<std::unique_ptr<ConnOpener>> openers_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<ConnOpener> publisher_opener_;
  unsigned publisher_loop_;  // the last loop
  std::int64_t next_seq_ = 0;
  double setup_s_ = 0;
};

std::optional<std::string> FanoutRun::setup() {
  std::uint64_t t0 = steady_ns();
  for (unsigned i = 0; i < publisher_loop_; ++i) {
    counters_.push_back(std::make_unique<ShoutCounter>(pool_.loop(i)));
    const auto& targets = opts_.subscriber_targets;
    const WsTarget& target = targets.empty() ? opts_.target : targets[i % targets.size()];
    openers_.push_back(std::make_unique<ConnOpener>(pool_.loop(i), target, progress_, *counters_[i]));
  }
  pool_.start_heartbeats(std::chrono::seconds(25));
  auto timeout = std::chrono::milliseconds(static_cast<long>(opts_.setup_timeout_s * 1000));
  std::string topic = opts_.topic;
  open_spread(pool_, openers_, opts_.subscribers, opts_.max_in_flight, [topic](std::uint32_t) { return topic; });
  if (auto err = await_joined(progress_, opts_.subscribers, timeout)) return err;

  publisher_ = std::make_unique<Publisher>(pool_.loop(publisher_loop_), opts_.payload_bytes);
  publisher_opener_ = std::make_unique<ConnOpener>(pool_.loop(publisher_loop_), opts_.target, progress_, *publisher_);
  pool_.run_on(publisher_loop_, [&](ClientLoop&) {
    ConnOpener::Plan plan;
    plan.first_index = opts_.subscribers;
    plan.count = 1;
    plan.topic_of = [topic](std::uint32_t) { return topic; };
    publisher_opener_->start(std::move(plan));
  });
  if (auto err = await_joined(progress_, opts_.subscribers + 1, timeout)) return err;
  setup_s_ = ns_to_s(steady_ns() - t0);
  return std::nullopt;
}

std::uint64_t FanoutRun::total_delivered() const {
  std::uint64_t sum = 0;
  for (const auto& c : counters_) sum += c->delivered.load(std::memory_order_relaxed);
  return sum;
}

StepResult FanoutRun::step(double rate, double seconds) {
  StepResult r;
  r.target_rate = rate;
  std::int64_t first_seq = next_seq_;
  pool_.run_on_all([&](ClientLoop& loop) {
    if (loop.index < counters_.size()) counters_[loop.index]->begin_step(first_seq);
  });
  CpuSnapshot cpu_before = cpu_snapshot(opts_.server_pid);
  pool_.run_on(publisher_loop_, [&](ClientLoop&) { publisher_->start(rate, seconds, first_seq); });
  auto publish_timeout = std::chrono::milliseconds(static_cast<long>(seconds * 1000) + 10000);
  wait_until([&] { return publisher_->done.load(std::memory_order_acquire); }, publish_timeout);
  r.cpu = cpu_between(cpu_before, cpu_snapshot(opts_.server_pid));
  pool_.run_on(publisher_loop_, [&](ClientLoop&) {
    r.sent = publisher_->sent;
    r.skipped = publisher_->skipped;
    r.stalled_ticks = publisher_->stalled_ticks;
    r.publish_s = ns_to_s(publisher_->end_ns - publisher_->start_ns);
  });
  next_seq_ += static_cast<std::int64_t>(r.sent);
  r.expected = r.sent * opts_.subscribers;
  auto drain = std::chrono::milliseconds(static_cast<long>(opts_.drain_s * 1000));
  r.drained = wait_until(
      [&] { return total_delivered() >= r.expected || progress_.dropped.load() >= opts_.subscribers; }, drain);
  collect(r);
  return r;
}

void FanoutRun::collect(StepResult& r) {
  for (unsigned i = 0; i < counters_.size(); ++i)
    pool_.run_on(i, [&](ClientLoop& loop) {
      const ShoutCounter& c = *counters_[loop.index];
      r.delivered += c.delivered.load(std::memory_order_relaxed);
      r.latency.merge(c.latency);
      r.out_of_order += c.out_of_order;
      r.late += c.late;
      r.malformed += c.malformed;
    });
  r.lost = r.expected > r.delivered ? r.expected - r.delivered : 0;
  r.dropped = progress_.dropped.load();
}

json::object step_json(const StepResult& r) {
  return json::object{{"target_rate", r.target_rate},
                      {"sent", r.sent},
                      {"publish_seconds", std::round(r.publish_s * 1000) / 1000},
                      {"delivered", r.delivered},
                      {"delivered_per_s", std::round(r.delivered_per_s())},
                      {"p50_ms", ms3(r.latency.percentile(0.5))},
                      {"p99_ms", ms3(r.latency.percentile(0.99))},
                      {"p999_ms", ms3(r.latency.percentile(0.999))},
                      {"max_ms", ms3(r.latency.max())},
                      {"lost", r.lost},
                      {"out_of_order", r.out_of_order},
                      {"cpu_bench_pct", r.cpu.bench},
                      {"cpu_server_pct", r.cpu.server >= 0 ? json::value(r.cpu.server) : json::value(nullptr)},
                      {"cpu_machine_pct", r.cpu.machine}};
}

std::string step_line(unsigned n, const StepResult& r) {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "  step %-2u rate %9s/s  sent %9s  delivered/s %11s  p50 %8.3f  p99 %8.3f  p999 %8.3f  "
                "max %8.3f ms  lost %s  ooo %s  cpu bench/server/machine %.0f/%.0f/%.0f%%",
                n, with_commas(static_cast<std::uint64_t>(r.target_rate)).c_str(), with_commas(r.sent).c_str(),
                with_commas(static_cast<std::uint64_t>(r.delivered_per_s())).c_str(),
                ms3(r.latency.percentile(0.5)), ms3(r.latency.percentile(0.99)), ms3(r.latency.percentile(0.999)),
                ms3(r.latency.max()), with_commas(r.lost).c_str(), with_commas(r.out_of_order).c_str(), r.cpu.bench,
                r.cpu.server, r.cpu.machine);
  return buf;
}

// The figures of one step, as the single-rate run reports them.
void report_step(Report& report, const StepResult& r) {
  report.figure("target_rate", r.target_rate, "target rate", fixed(r.target_rate, 0) + " msgs/s");
  report.figure("sent", r.sent, "sent",
                with_commas(r.sent) + " msgs in " + fixed(r.publish_s, 2) + " s (" +
                    fixed(r.publish_s > 0 ? r.sent / r.publish_s : 0, 0) + " msgs/s)");
  report.figure("expected", r.expected, "expected deliveries", with_commas(r.expected));
  report.figure("delivered", r.delivered, "delivered", with_commas(r.delivered));
  report.figure("delivered_per_s", std::round(r.delivered_per_s()), "delivered/s",
                with_commas(static_cast<std::uint64_t>(r.delivered_per_s())) + " msgs/s");
  report.latency("", "latency", r.latency);
  report.figure("lost", r.lost, "lost", with_commas(r.lost) + (r.drained ? "" : " (drain timed out)"));
  report.figure("out_of_order", r.out_of_order, "out of order", with_commas(r.out_of_order));
  report.figure("late", r.late, "late (previous step)", with_commas(r.late));
  report.figure("publisher_skipped", r.skipped, "publisher skipped", with_commas(r.skipped) + " (loop > 100 ms behind)");
  report.figure("publisher_stalled_ticks", r.stalled_ticks, "publisher stalled", with_commas(r.stalled_ticks) + " ticks (socket backed up)");
  if (r.malformed) report.figure("malformed", r.malformed, "malformed shouts", with_commas(r.malformed));
  report_cpu(report, r.cpu);
}

// Why a ramp stops after step r, or empty to go on.
std::string ramp_stop_reason(const BenchOptions& o, const StepResult& r) {
  if (r.p99_ms() > o.p99_limit_ms) return "p99 " + fixed(r.p99_ms(), 3) + " ms > " + fixed(o.p99_limit_ms, 0) + " ms";
  if (r.lost > 0) return with_commas(r.lost) + " lost";
  if (r.dropped > 0) return with_commas(r.dropped) + " connections dropped";
  if (static_cast<double>(r.sent) < 0.9 * r.target_rate * r.publish_s)
    return "the publisher could not keep the rate (bench-limited: sent " + with_commas(r.sent) + ")";
  return {};
}

void print_header(const BenchOptions& o) {
  std::printf("cohort-bench fanout  %s  topic %s\n", o.target.url().c_str(), o.topic.c_str());
  std::fflush(stdout);
}


// One step at --rate for --duration.
int run_single(const BenchOptions& opts, FanoutRun& run, Report& report) {
  StepResult r = run.step(opts.rate, opts.duration_s);
  report_step(report, r);
  report.figure("dropped_connections", r.dropped, "dropped connections",
                with_commas(r.dropped) + (r.dropped ? " (first: " + run.first_drop() + ")" : ""));
  report_bench_memory(report);
  report.print();
  return run_finished(r.dropped, run.first_drop());
}

// Steps of growing rate, each printed as it ends, until ramp_stop_reason says stop.
int run_ramp(const BenchOptions& opts, FanoutRun& run, Report& report) {
  json::array steps;
  std::optional<std::pair<unsigned, StepResult>> best;
  std::uint64_t dropped = 0;
  std::string stop = "reached --max-steps";
  double rate = opts.rate;
  for (unsigned n = 1; n <= opts.max_steps; ++n, rate *= opts.ramp_factor) {
    StepResult r = run.step(rate, opts.step_seconds);
    dropped = r.dropped;
    std::printf("%s\n", step_line(n, r).c_str());
    std::fflush(stdout);
    steps.push_back(step_json(r));
    bool within = r.p99_ms() <= opts.p99_limit_ms && r.lost == 0 && r.dropped == 0;
    if (within && (!best || r.delivered_per_s() > best->second.delivered_per_s())) best.emplace(n, r);
    if (std::string why = ramp_stop_reason(opts, r); !why.empty()) {
      stop = "step " + std::to_string(n) + ": " + why;
      break;
    }
  }
  report.figure("stop_reason", json::string(stop), "ramp stopped", stop);
  report_bench_memory(report);
  report.json("steps", std::move(steps));
  std::string limits = "p99 <= " + fixed(opts.p99_limit_ms, 0) + " ms and 0 lost";
  if (best) {
    report.line("best step (highest delivered/s with " + limits + "):");
    report.figure("best_step", best->first, "step", std::to_string(best->first));
    report_step(report, best->second);
  } else {
    report.line("no step met " + limits);
  }
  report.print();
  return run_finished(dropped, run.first_drop());
}

}  // namespace

int run_fanout(const BenchOptions& opts) {
  print_header(opts);
  FanoutRun run(opts);
  if (auto err = run.setup()) return setup_failed(*err);
  Report report("fanout");
  report.figure("subscribers", opts.subscribers, "subscribers", with_commas(opts.subscribers));
  report.figure("threads", opts.threads, "client threads", std::to_string(opts.threads) + " (+1 publisher)");
  report.figure("setup_seconds", std::round(run.setup_s() * 1000) / 1000, "connect + join",
                fixed(run.setup_s(), 2) + " s");
  return opts.ramp ? run_ramp(opts, run, report) : run_single(opts, run, report);
}

}  // namespace cohort::bench
