// bench_main.cpp — cohort-bench: a load generator for any Phoenix Channels V2 server on loopback.
//
// Threads: the main thread parses options, drives the run (the controller) and prints the
// report; --threads client threads each run one event loop that owns its connections (see
// client_loop.hpp). Every mode ends by itself: setup, a measured phase of bounded length, a
// bounded drain, then the report and one `RESULT {json}` line. `minimal-server` is no load but
// the yardstick echo is compared with (minimal_server.cpp); it serves until killed.
// Exit status: 0 after a clean run, 1 if the server cannot be reached or refuses a join, 2 for
// bad options, 3 if connections were dropped during the run.
#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_options.hpp"
#include "modes.hpp"

namespace {

using namespace cohort::bench;

struct Mode {
  const char* name;
  int (*run)(const BenchOptions&);
};

constexpr Mode kModes[] = {
    {"fanout", run_fanout},
    {"echo", run_echo},
    {"conns", run_conns},
    {"presence", run_presence},
    {"store", run_store},
    {"longpoll", run_longpoll},
    {"live", run_live},
};

// Raises the soft file-descriptor limit to the hard one: conns opens thousands of sockets.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// `minimal-server --port P`: the one option of the yardstick server.
int minimal_server(const std::vector<std::string>& args) {
  unsigned port = 0;
  if (args.size() != 3 || args[1] != "--port" || (port = static_cast<unsigned>(std::atoi(args[2].c_str()))) == 0 ||
      port > 65535) {
    std::fputs("cohort-bench: minimal-server takes --port P (1-65535)\n", stderr);
    return 2;
  }
  return run_minimal_server(port);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(usage().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
  std::signal(SIGPIPE, SIG_IGN);  // a server that goes away is reported, not fatal
  raise_fd_limit();
  if (args[0] == "minimal-server") return minimal_server(args);
  BenchOptions opts;
  if (auto err = parse_options(args[0], {args.begin() + 1, args.end()}, opts)) {
    std::fprintf(stderr, "cohort-bench: %s\n", err->c_str());
    return 2;
  }
  for (const Mode& mode : kModes)
    if (opts.mode == mode.name) return mode.run(opts);
  return 2;  // parse_options refuses unknown modes
}
