// store_metrics.hpp — the stores' figures in /metrics: keys in memory, loads, unloads, refusals,
// and op latency (arrival to ack after commit).
//
// Owns: the names, help texts and types of those families (docs/operations.md), read from
// StoreCounters at scrape time. It must never write a counter.
#pragma once

#include "metrics/scrape.hpp"
#include "store/local_stores.hpp"

namespace cohort::store {

void collect(const StoreCounters& c, metrics::Scrape& s);

}  // namespace cohort::store
