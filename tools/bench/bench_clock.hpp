// bench_clock.hpp — the one clock of the bench: steady_clock in nanoseconds.
//
// Publisher and subscribers live in the same process, so a timestamp written into a payload by
// one thread can be subtracted from a receive time taken on another thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace cohort::bench {

inline std::uint64_t steady_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

inline double ns_to_ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }
inline double ns_to_s(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace cohort::bench
