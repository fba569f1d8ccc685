// conns.cpp — `cohort-bench conns`: open N connections, each joining <prefix>conns-<i % 100>,
// at most --in-flight handshakes at a time; time from the first connect to the last join reply.
//
// With --server-pid, the server's VmRSS is read before connecting and after the joined
// connections sat idle for 2 s; (after − before) / N is the server's memory per connection.
// The bench's own RSS is reported the same way. Connections stay open --hold seconds in all.
#include <cmath>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "bench_clock.hpp"
#include "client_loop.hpp"
#include "conn_opener.hpp"
#include "cpu_usage.hpp"
#include "modes.hpp"
#include "report.hpp"

namespace cohort::bench {

namespace {

constexpr auto kIdleBeforeRss = std::chrono::seconds(2);
// Idle connections only ever receive a join reply and small pushes: a small read buffer keeps
// the bench's own memory per connection low (bigger bursts are drained 64 KB at a time anyway).
constexpr std::size_t kWakeSize = 512;

// Frames of joined connections (presence_state, ...) are not this mode's business.
class IgnoreFrames final : public FrameHandler {
 public:
  void on_frame(Connection&, const PhxFrame&) override {}
};

std::string mib(std::uint64_t bytes) { return fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 1) + " MiB"; }

// Memory figures of one process: before, after, per connection.
void report_rss(Report& report, const std::string& who, std::uint64_t before, std::uint64_t after, unsigned n) {
  double per_conn = (static_cast<double>(after) - static_cast<double>(before)) / n;
  report.figure(who + "_rss_before", before, who + " rss before", mib(before));
  report.figure(who + "_rss_after", after, who + " rss after", mib(after));
  report.figure(who + "_bytes_per_connection", std::round(per_conn), who + " bytes/connection",
                with_commas(static_cast<std::uint64_t>(std::max(0.0, std::round(per_conn)))));
}

}  // namespace

int run_conns(const BenchOptions& opts) {
  std::printf("cohort-bench conns  %s  %u connections\n", opts.target.url().c_str(), opts.count);
  std::fflush(stdout);
  std::string server_pid = opts.server_pid ? std::to_string(opts.server_pid) : "";
  std::uint64_t server_before = server_pid.empty() ? 0 : rss_bytes(server_pid);
  std::uint64_t self_before = rss_bytes("self");

  ClientPool pool(opts.threads);
  SetupProgress progress;
  IgnoreFrames ignore;
  std::vector<std::unique_ptr<ConnOpener>> openers;
  struct StopFirst {  // stops the loops before the openers above are freed
    ClientPool& pool;
    ~StopFirst() { pool.stop(); }
  } stop_first{pool};
  for (unsigned i = 0; i < pool.size(); ++i)
    openers.push_back(std::make_unique<ConnOpener>(pool.loop(i), opts.target, progress, ignore));
  pool.start_heartbeats(std::chrono::seconds(25));

  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  std::uint64_t t0 = steady_ns();
  std::string prefix = opts.topic_prefix();
  open_spread(pool, openers, opts.count, opts.max_in_flight,
              [prefix](std::uint32_t i) { return prefix + "conns-" + std::to_string(i % 100); }, kWakeSize);
  auto timeout = std::chrono::milliseconds(static_cast<long>(opts.setup_timeout_s * 1000));
  if (auto err = await_joined(progress, opts.count, timeout)) return setup_failed(*err);
  CpuUsage cpu = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));

  JoinSummary joins = summarize_joins(pool, openers);
  std::uint64_t t1 = joins.last_join_ns;
  LatencyHistogram& join_latency = joins.latency;
  double seconds = ns_to_s(t1 - t0);

  auto held_since = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(kIdleBeforeRss);
  std::uint64_t server_after = server_pid.empty() ? 0 : rss_bytes(server_pid);
  std::uint64_t self_after = rss_bytes("self");
  auto hold = std::chrono::duration<double>(opts.hold_s);
  auto held = std::chrono::steady_clock::now() - held_since;
  if (held < hold) std::this_thread::sleep_for(hold - held);
  std::uint64_t dropped = progress.dropped.load();

  Report report("conns");
  report.figure("connections", opts.count, "connections", with_commas(opts.count));
  report.figure("threads", opts.threads, "client threads", std::to_string(opts.threads));
  report.figure("in_flight", opts.max_in_flight, "handshakes in flight", "at most " + with_commas(opts.max_in_flight));
  report.figure("connect_seconds", std::round(seconds * 1000) / 1000, "time to join all", fixed(seconds, 3) + " s");
  report.figure("joins_per_s", std::round(opts.count / seconds), "joins/s",
                with_commas(static_cast<std::uint64_t>(opts.count / seconds)));
  report.latency("join_", "join latency", join_latency);
  report_cpu(report, cpu);
  if (!server_pid.empty()) report_rss(report, "server", server_before, server_after, opts.count);
  report_rss(report, "bench", self_before, self_after, opts.count);
  report.figure("dropped_connections", dropped, "dropped while held",
                with_commas(dropped) + (dropped ? " (first: " + progress.first_drop() + ")" : ""));
  report.print();
  return run_finished(dropped, progress.first_drop());
}

}  // namespace cohort::bench
