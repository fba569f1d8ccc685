// stats.hpp — latency histogram: log-linear buckets, mergeable, one per client thread.
//
// Values are nanoseconds. Below 128 ns each value has its own bucket; above, every power of two
// is split into 128 buckets, so a reported percentile is within 0.8% of the true sample.
// Owner-thread-only: each loop records into its own histogram; the controller merges copies.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace cohort::bench {

class LatencyHistogram {
 public:
  LatencyHistogram() : counts_(kBuckets, 0) {}

  void record(std::uint64_t ns) {
    ++counts_[bucket_of(ns)];
    ++count_;
    if (ns > max_) max_ = ns;
  }

  void merge(const LatencyHistogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  // The value at or below which fraction q (0 < q <= 1) of the samples fall: the upper edge of
  // the bucket holding that sample, never above max(). 0 when empty.
  std::uint64_t percentile(double q) const;

 private:
  static constexpr unsigned kSubBits = 7;  // 128 buckets per power of two
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kSub;

  static std::size_t bucket_of(std::uint64_t v) {
    if (v < kSub) return static_cast<std::size_t>(v);
    unsigned e = 63 - static_cast<unsigned>(std::countl_zero(v));  // floor(log2 v) >= kSubBits
    unsigned shift = e - kSubBits;
    return static_cast<std::size_t>(shift + 1) * kSub + static_cast<std::size_t>((v >> shift) - kSub);
  }
  static std::uint64_t upper_edge(std::size_t bucket);

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace cohort::bench
