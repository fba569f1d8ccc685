// bounded_gauges.hpp — gauges by a label whose values come from outside (a topic's class, the
// part before its first ':'), with a bounded number of series.
//
// Owns: at most kMaxValues label values, each with a relaxed atomic gauge, and one more gauge
// for every later value ("other"). Label values are clipped to kMaxValueBytes. slot() finds a
// value without a lock (values are published once, never changed); the first time a value is
// seen it is added under a mutex, which happens at most kMaxValues times per node. Any thread.
// It must never grow past kMaxValues + 1 series, whatever clients send.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace cohort::metrics {

class BoundedGauges {
 public:
  static constexpr unsigned kMaxValues = 32;
  static constexpr std::size_t kMaxValueBytes = 64;
  static constexpr std::string_view kOther = "other";

  // The slot of value (kMaxValues: "other"). Any thread.
  unsigned slot(std::string_view value);
  void add(unsigned slot, std::int64_t delta) { gauges_[slot].fetch_add(delta, std::memory_order_relaxed); }
  // Every value seen, then "other", with its gauge.
  void each(const std::function<void(std::string_view value, std::int64_t gauge)>& fn) const;

 private:
  std::array<std::string, kMaxValues> values_;
  std::atomic<unsigned> used_{0};
  std::mutex add_mutex_;
  std::array<std::atomic<std::int64_t>, kMaxValues + 1> gauges_{};
};

// A topic's class: what comes before its first ':' ("room:lobby" → "room"; no ':' → the topic).
inline std::string_view topic_class(std::string_view topic) { return topic.substr(0, topic.find(':')); }

}  // namespace cohort::metrics
