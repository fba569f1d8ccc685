// modes.hpp — the bench's modes. Each runs to completion by itself, prints its report and
// returns the process exit status: 0 after a clean run, 1 when it could not connect or join,
// 3 when the run finished but connections were dropped on the way (figures printed anyway).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "bench_options.hpp"

namespace cohort::bench {

int run_fanout(const BenchOptions& opts);
int run_echo(const BenchOptions& opts);
int run_conns(const BenchOptions& opts);
int run_presence(const BenchOptions& opts);
int run_store(const BenchOptions& opts);
int run_longpoll(const BenchOptions& opts);
int run_live(const BenchOptions& opts);  // live <mount|change|sustained|events>
// Not a load: the yardstick server `echo` is compared with (minimal_server.cpp). Runs until killed.
int run_minimal_server(unsigned port);

// Reports a run that could not take place: "cohort-bench: error: <why>" on stderr; returns 1.
inline int setup_failed(std::string_view why) {
  std::fprintf(stderr, "cohort-bench: error: %.*s\n", static_cast<int>(why.size()), why.data());
  return 1;
}

// The status of a run that finished: 0, or 3 with a warning on stderr when connections dropped.
inline int run_finished(std::uint64_t dropped, const std::string& first_drop) {
  if (dropped == 0) return 0;
  std::fprintf(stderr, "cohort-bench: warning: %llu connections dropped during the run (first: %s)\n",
               static_cast<unsigned long long>(dropped), first_drop.c_str());
  return 3;
}

}  // namespace cohort::bench
