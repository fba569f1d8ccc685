// cpu_usage.hpp — who used the CPU during a measured phase: the bench, the server, the machine.
//
// On a small machine the bench and the server share the cores, so every figure comes with the
// CPU each side used: a server at 100% of its cores or a bench at 100% of its threads explains
// the latency, and a busy machine (someone compiling) says the run is not comparable.
// Sources: getrusage(RUSAGE_SELF), /proc/<pid>/stat, /proc/stat. Any-thread.
#pragma once

#include <cstdint>
#include <string>

namespace cohort::bench {

class Report;

struct CpuSnapshot {
  std::uint64_t wall_ns = 0;
  std::uint64_t self_ns = 0;         // bench user + system time
  std::uint64_t server_ticks = 0;    // server utime + stime, in clock ticks
  bool server_known = false;
  std::uint64_t machine_busy = 0;    // all CPUs, non-idle ticks
  std::uint64_t machine_total = 0;
};

// Percentages of one core (200 = two cores busy), or -1 when unknown.
struct CpuUsage {
  double bench = -1;
  double server = -1;
  double machine = -1;  // every process, all cores together
  unsigned cores = 0;
};

// server_pid 0: no server figure.
CpuSnapshot cpu_snapshot(int server_pid);
CpuUsage cpu_between(const CpuSnapshot& before, const CpuSnapshot& after);

// Adds cpu_bench_pct, cpu_server_pct (when known), cpu_machine_pct to report.
void report_cpu(Report& report, const CpuUsage& cpu);

// The bench's peak resident memory so far (getrusage ru_maxrss), in bytes: the other resource
// a client can run out of. Adds it to report as bench_max_rss.
void report_bench_memory(Report& report);

// VmRSS of process pid ("self" for the bench) in bytes, from /proc/<pid>/status; 0 when unreadable.
std::uint64_t rss_bytes(const std::string& pid);

}  // namespace cohort::bench
