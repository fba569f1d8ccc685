// cpu_usage.cpp — CPU accounting: see cpu_usage.hpp.
#include "cpu_usage.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "bench_clock.hpp"
#include "report.hpp"

namespace cohort::bench {

namespace {

std::uint64_t timeval_ns(const timeval& tv) {
  return static_cast<std::uint64_t>(tv.tv_sec) * 1000000000ull + static_cast<std::uint64_t>(tv.tv_usec) * 1000ull;
}

// utime + stime of pid from /proc/<pid>/stat (fields 14 and 15, after the parenthesised name).
bool process_ticks(int pid, std::uint64_t& ticks) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  ticks = utime + stime;
  return true;
}

// The "cpu" line of /proc/stat: busy and total ticks over all CPUs.
void machine_ticks(std::uint64_t& busy, std::uint64_t& total) {
  std::ifstream in("/proc/stat");
  std::string label;
  in >> label;
  std::uint64_t v = 0, idle = 0;
  busy = total = 0;
  for (int i = 0; i < 8 && in >> v; ++i) {  // user nice system idle iowait irq softirq steal
    total += v;
    if (i == 3 || i == 4) idle += v;
  }
  busy = total - idle;
}

double pct(double part, double whole) { return whole > 0 ? std::round(part / whole * 1000.0) / 10.0 : -1; }

}  // namespace

CpuSnapshot cpu_snapshot(int server_pid) {
  CpuSnapshot s;
  s.wall_ns = steady_ns();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  s.self_ns = timeval_ns(ru.ru_utime) + timeval_ns(ru.ru_stime);
  if (server_pid > 0) s.server_known = process_ticks(server_pid, s.server_ticks);
  machine_ticks(s.machine_busy, s.machine_total);
  return s;
}

CpuUsage cpu_between(const CpuSnapshot& a, const CpuSnapshot& b) {
  CpuUsage u;
  u.cores = std::thread::hardware_concurrency();
  double wall = static_cast<double>(b.wall_ns - a.wall_ns);
  u.bench = pct(static_cast<double>(b.self_ns - a.self_ns), wall);
  double tick_ns = 1e9 / static_cast<double>(sysconf(_SC_CLK_TCK));
  if (a.server_known && b.server_known)
    u.server = pct(static_cast<double>(b.server_ticks - a.server_ticks) * tick_ns, wall);
  double total = static_cast<double>(b.machine_total - a.machine_total);
  if (total > 0) u.machine = pct(static_cast<double>(b.machine_busy - a.machine_busy) * u.cores, total);
  return u;
}

void report_cpu(Report& report, const CpuUsage& cpu) {
  report.figure("cpu_bench_pct", cpu.bench, "cpu bench", fixed(cpu.bench, 0) + "% of one core");
  if (cpu.server >= 0) report.figure("cpu_server_pct", cpu.server, "cpu server", fixed(cpu.server, 0) + "% of one core");
  report.figure("cpu_machine_pct", cpu.machine, "cpu machine",
                fixed(cpu.machine, 0) + "% of one core (" + std::to_string(cpu.cores) + " cores, all processes)");
}

std::uint64_t rss_bytes(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

void report_bench_memory(Report& report) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  report.figure("bench_max_rss", bytes, "bench peak rss", fixed(static_cast<double>(bytes) / (1 << 20), 1) + " MiB");
}

}  // namespace cohort::bench
