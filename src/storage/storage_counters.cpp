// storage_counters.cpp — the storage's /metrics families: see storage_counters.hpp.
#include "storage/storage_counters.hpp"

namespace cohort::storage {

void collect(const StorageCounters& c, metrics::Scrape& s) {
  s.histogram("cohort_storage_commit_batch_ops", "Store ops written per storage transaction (group commit).",
              c.batch_ops);
  s.gauge("cohort_storage_queue_depth", "Writes queued for the storage writer, not yet in a transaction.",
          static_cast<double>(c.queue_depth.load(std::memory_order_relaxed)));
  s.counter("cohort_storage_commit_failures_total", "Storage transactions that failed: none of their ops was stored.",
            static_cast<double>(c.commit_failures.load(std::memory_order_relaxed)));
}

}  // namespace cohort::storage
