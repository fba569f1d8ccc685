// echo.cpp — `cohort-bench echo`: C clients, each on its own topic, push "ping" in a closed loop
// (the next push leaves when the previous reply arrives) for --duration seconds.
//
// Round trips are counted, and timed from push to reply, only when the reply arrives before
// the deadline; replies after it end that client's loop.
#include <atomic>
#include <cmath>
#include <memory>
#include <vector>

#include "bench_clock.hpp"
#include "client_loop.hpp"
#include "conn_opener.hpp"
#include "cpu_usage.hpp"
#include "modes.hpp"
#include "report.hpp"

namespace cohort::bench {

namespace {

// The ping loops of one client loop. Owner-thread-only, except `round_trips`, which only the
// owner writes.
class PingLoop final : public FrameHandler {
 public:
  explicit PingLoop(ClientLoop& loop) : loop_(loop) {}

  // Sends the first ping on every joined connection of the loop; pings stop at deadline_ns.
  void start(std::uint64_t deadline_ns);
  void on_frame(Connection& conn, const PhxFrame& frame) override;

  std::atomic<std::uint64_t> round_trips{0};
  std::uint64_t errors = 0;  // replies whose status was not "ok"
  LatencyHistogram latency;

 private:
  struct Pending {
    std::uint64_t ref = 0;  // ref of the ping awaiting its reply; 0 when none
    std::uint64_t sent_ns = 0;
  };
  void send_ping(Connection& conn);

  ClientLoop& loop_;
  std::vector<Pending> pending_;  // by connection slot
  std::uint64_t deadline_ns_ = 0;
  std::string payload_;
};

void PingLoop::start(std::uint64_t deadline_ns) {
  deadline_ns_ = deadline_ns;
  pending_.assign(loop_.conns.size(), Pending{});
  for (auto& conn : loop_.conns)
    if (conn->state() == Connection::State::joined) send_ping(*conn);
}

void PingLoop::send_ping(Connection& conn) {
  payload_ = "{\"n\":" + std::to_string(conn.index()) + "}";
  Pending& p = pending_[conn.slot()];
  p.sent_ns = steady_ns();
  p.ref = conn.push("ping", payload_);
}

void PingLoop::on_frame(Connection& conn, const PhxFrame& frame) {
  if (frame.event != "phx_reply" || frame.ref_null || conn.slot() >= pending_.size()) return;
  Pending& p = pending_[conn.slot()];
  auto ref = ref_number(frame.ref);
  if (!ref || *ref != p.ref || p.ref == 0) return;
  p.ref = 0;
  std::uint64_t now = loop_.now_ns;
  if (now > deadline_ns_) return;
  if (scan_reply_status(frame.payload) != "ok") ++errors;
  latency.record(now - p.sent_ns);
  round_trips.store(round_trips.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  send_ping(conn);
}

}  // namespace

int run_echo(const BenchOptions& opts) {
  std::printf("cohort-bench echo  %s  %u clients\n", opts.target.url().c_str(), opts.clients);
  std::fflush(stdout);
  ClientPool pool(opts.threads);
  SetupProgress progress;
  std::vector<std::unique_ptr<PingLoop>> loops;
  std::vector<std::unique_ptr<ConnOpener>> openers;
  struct StopFirst {  // stops the loops before the handlers above are freed
    ClientPool& pool;
    ~StopFirst() { pool.stop(); }
  } stop_first{pool};

  for (unsigned i = 0; i < pool.size(); ++i) {
    loops.push_back(std::make_unique<PingLoop>(pool.loop(i)));
    openers.push_back(std::make_unique<ConnOpener>(pool.loop(i), opts.target, progress, *loops[i]));
  }
  pool.start_heartbeats(std::chrono::seconds(25));
  std::uint64_t t0 = steady_ns();
  std::string prefix = opts.topic_prefix();
  open_spread(pool, openers, opts.clients, opts.max_in_flight,
              [prefix](std::uint32_t i) { return prefix + "echo-" + std::to_string(i); });
  auto timeout = std::chrono::milliseconds(static_cast<long>(opts.setup_timeout_s * 1000));
  if (auto err = await_joined(progress, opts.clients, timeout)) return setup_failed(*err);
  double setup_s = ns_to_s(steady_ns() - t0);

  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  std::uint64_t start = steady_ns();
  std::uint64_t deadline = start + static_cast<std::uint64_t>(opts.duration_s * 1e9);
  pool.run_on_all([&](ClientLoop& loop) { loops[loop.index]->start(deadline); });
  std::this_thread::sleep_for(std::chrono::nanoseconds(deadline - steady_ns()));
  CpuUsage cpu = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));

  LatencyHistogram latency;
  std::uint64_t round_trips = 0, errors = 0;
  for (unsigned i = 0; i < pool.size(); ++i)
    pool.run_on(i, [&](ClientLoop& loop) {
      const PingLoop& p = *loops[loop.index];
      latency.merge(p.latency);
      round_trips += p.round_trips.load(std::memory_order_relaxed);
      errors += p.errors;
    });
  double seconds = ns_to_s(deadline - start);

  Report report("echo");
  report_round_trips(report, RoundTrips{opts.clients, opts.threads, setup_s, seconds, round_trips, errors}, latency);
  report_cpu(report, cpu);
  report_bench_memory(report);
  std::uint64_t dropped = progress.dropped.load();
  report.figure("dropped_connections", dropped, "dropped connections",
                with_commas(dropped) + (dropped ? " (first: " + progress.first_drop() + ")" : ""));
  report.print();
  return run_finished(dropped, progress.first_drop());
}

}  // namespace cohort::bench
