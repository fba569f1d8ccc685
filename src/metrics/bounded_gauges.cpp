// bounded_gauges.cpp — BoundedGauges: see bounded_gauges.hpp.
#include "metrics/bounded_gauges.hpp"

namespace cohort::metrics {

unsigned BoundedGauges::slot(std::string_view value) {
  value = value.substr(0, kMaxValueBytes);
  if (value == kOther) return kMaxValues;  // one series "other", never two
  unsigned n = used_.load(std::memory_order_acquire);
  for (unsigned i = 0; i < n; ++i)
    if (values_[i] == value) return i;
  std::lock_guard lock(add_mutex_);
  n = used_.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < n; ++i)
    if (values_[i] == value) return i;
  if (n == kMaxValues) return kMaxValues;
  values_[n] = std::string(value);
  used_.store(n + 1, std::memory_order_release);  // publishes values_[n]
  return n;
}

void BoundedGauges::each(const std::function<void(std::string_view, std::int64_t)>& fn) const {
  const unsigned n = used_.load(std::memory_order_acquire);
  for (unsigned i = 0; i < n; ++i) fn(values_[i], gauges_[i].load(std::memory_order_relaxed));
  fn(kOther, gauges_[kMaxValues].load(std::memory_order_relaxed));
}

}  // namespace cohort::metrics
