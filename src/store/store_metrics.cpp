// store_metrics.cpp — the stores' /metrics families: see store_metrics.hpp.
#include "store/store_metrics.hpp"

#include <algorithm>

namespace cohort::store {

void collect(const StoreCounters& c, metrics::Scrape& s) {
  auto n = [](const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); };
  s.gauge("cohort_store_keys_loaded", "Store keys in memory now.",
          static_cast<double>(std::max<std::int64_t>(0, c.keys_loaded.load(std::memory_order_relaxed))));
  s.counter("cohort_store_key_loads_total", "Cold store keys read from storage.", n(c.key_loads));
  s.counter("cohort_store_key_unloads_total", "Store keys dropped from memory (idle, least recently used, or absent).",
            n(c.key_unloads));
  s.counter("cohort_store_keys_refused_total", "Store calls refused too_many_keys (store_max_keys in memory).",
            n(c.refused_full));
  s.counter("cohort_store_joins_not_found_total", "Store joins answered not_found (the key does not exist).",
            n(c.refused_missing));
  s.histogram("cohort_store_op_seconds", "Time from a client's store op arriving to its ack, sent after the commit.",
              c.op_seconds);
}

}  // namespace cohort::store
