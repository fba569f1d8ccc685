// histogram.cpp — Histogram: see histogram.hpp.
#include "metrics/histogram.hpp"

#include <algorithm>
#include <stdexcept>

namespace cohort::metrics {

Histogram::Histogram(std::span<const std::uint64_t> bounds, double unit) : unit_(unit) {
  if (bounds.size() > kMaxBounds) throw std::invalid_argument("Histogram: more bounds than kMaxBounds");
  for (std::size_t i = 1; i < bounds.size(); ++i)
    if (bounds[i] <= bounds[i - 1]) throw std::invalid_argument("Histogram: bounds must increase");
  std::copy(bounds.begin(), bounds.end(), bounds_.begin());
  size_ = static_cast<unsigned>(bounds.size());
}

unsigned Histogram::shard_of_this_thread() {
  static std::atomic<unsigned> next{0};
  thread_local const unsigned shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

void Histogram::observe_in(unsigned shard, std::uint64_t value) {
  // The first bound >= value (a linear scan: the bounds are few and it is branch-predictable).
  unsigned b = 0;
  while (b < size_ && value > bounds_[b]) ++b;
  Shard& s = shards_[shard % kShards];
  s.buckets[b].fetch_add(1, std::memory_order_relaxed);
  s.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  std::array<std::uint64_t, kMaxBounds + 1> counts{};
  std::uint64_t sum = 0;
  for (const Shard& s : shards_) {
    for (unsigned b = 0; b <= size_; ++b) counts[b] += s.buckets[b].load(std::memory_order_relaxed);
    sum += s.sum.load(std::memory_order_relaxed);
  }
  std::uint64_t running = 0;
  for (unsigned b = 0; b < size_; ++b) {
    running += counts[b];
    out.bounds.push_back(static_cast<double>(bounds_[b]) * unit_);
    out.cumulative.push_back(running);
  }
  out.count = running + counts[size_];
  out.sum = static_cast<double>(sum) * unit_;
  return out;
}

}  // namespace cohort::metrics
