// registry.hpp — where a node's /metrics comes from: the collectors of its layers.
//
// Owns: the list of collectors, functions that add a layer's figures to a Scrape. A layer adds
// its collector once (the node at start, the live layer at install, the logging layer for
// cohort_log_dropped_total); collect() runs them all, in the order added, on the scraping
// thread. A collector reads its layer's counters (relaxed atomics, Histogram): it must never
// block on a reactor nor take a lock a hot path holds. The mutex guards the list only.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "metrics/scrape.hpp"

namespace cohort::metrics {

class Registry {
 public:
  using Collector = std::function<void(Scrape&)>;

  void add(Collector collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
  }

  Scrape collect() const {
    std::vector<Collector> collectors;
    {
      std::lock_guard lock(mutex_);
      collectors = collectors_;
    }
    Scrape scrape;
    for (const auto& c : collectors) c(scrape);
    return scrape;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Collector> collectors_;
};

}  // namespace cohort::metrics
