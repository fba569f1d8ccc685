// histogram.hpp — a fixed-bucket histogram cheap enough for the hot paths (join, op, broadcast,
// render), read at scrape time.
//
// Owns: the bucket bounds (fixed at construction) and, per thread shard, a relaxed atomic count
// per bucket and a relaxed atomic sum. observe() takes no lock, does no compare-and-swap and
// allocates nothing: one relaxed add to a bucket and one to the sum, on a cache line the calling
// thread shares with no other thread (until more threads than shards have observed; then two
// threads may share a shard, and their adds are still exact, only slower). snapshot() sums the
// shards; a scrape racing observations may see a bucket's add before the sum's (statistics only).
// It must never be read to synchronise anything.
//
// Values are integers in the histogram's base unit (nanoseconds for a time, bytes for a size, a
// count); `unit` converts them to the unit of the exported name (1e-9 for "_seconds" from
// nanoseconds, 1 otherwise). A value lands in the first bucket whose bound is >= it; values
// above the last bound count only in +Inf.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace cohort::metrics {

class Histogram {
 public:
  static constexpr unsigned kMaxBounds = 20;
  static constexpr unsigned kShards = 16;

  // bounds: strictly increasing, at most kMaxBounds (std::invalid_argument otherwise).
  Histogram(std::span<const std::uint64_t> bounds, double unit);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Any thread.
  void observe(std::uint64_t value) { observe_in(shard_of_this_thread(), value); }
  void observe_in(unsigned shard, std::uint64_t value);
  // A time in nanoseconds (negative durations count as 0).
  void observe_duration(std::chrono::steady_clock::duration d) {
    observe(d.count() < 0 ? 0 : static_cast<std::uint64_t>(std::chrono::nanoseconds(d).count()));
  }

  struct Snapshot {
    std::vector<double> bounds;           // in the exported unit
    std::vector<std::uint64_t> cumulative;  // per bound: observations <= it
    std::uint64_t count = 0;              // every observation (the +Inf bucket)
    double sum = 0;                       // in the exported unit
  };
  Snapshot snapshot() const;  // any thread

  // This thread's shard: threads are numbered in the order they first observe, modulo kShards.
  static unsigned shard_of_this_thread();

 private:
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, kMaxBounds + 1> buckets{};  // the last: above every bound
    std::atomic<std::uint64_t> sum{0};
  };
  std::array<std::uint64_t, kMaxBounds> bounds_{};
  unsigned size_ = 0;
  double unit_;
  std::array<Shard, kShards> shards_;
};

// Bucket sets shared by the histograms of one kind of figure.
// Latencies: 50 µs to 10 s, in nanoseconds (export with unit kNanoseconds).
inline constexpr double kNanoseconds = 1e-9;
inline constexpr std::array<std::uint64_t, 17> kLatencyBounds = {
    50'000,      100'000,     250'000,     500'000,       1'000'000,     2'500'000,     5'000'000,     10'000'000,
    25'000'000,  50'000'000,  100'000'000, 250'000'000,   500'000'000,   1'000'000'000, 2'500'000'000, 5'000'000'000,
    10'000'000'000};
// Sizes in bytes: 64 B to 4 MiB.
inline constexpr std::array<std::uint64_t, 9> kByteBounds = {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304};
// Counts of things handled together (ops per transaction): 1 to 512.
inline constexpr std::array<std::uint64_t, 10> kBatchBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

}  // namespace cohort::metrics
