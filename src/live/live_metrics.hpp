// live_metrics.hpp — the live layer's figures: the cohort_live_* families of /metrics, and the
// /metrics/live JSON made from the same collected families.
//
// Owns: the names, help texts and types of those families (docs/operations.md), read from
// LiveStats, the async pool's and the uploads' counters at scrape time, and the JSON keys of
// /metrics/live (views_mounted, events, ..., uploads.refused.<reason>; docs/live.md), each read
// back from a Scrape rather than from the counters, so that both surfaces show one collection.
// It must never write a counter.
#pragma once

#include "cohort/json.hpp"
#include "live/async_pool.hpp"
#include "live/registry.hpp"
#include "metrics/scrape.hpp"

namespace cohort::live {

void collect(const Registry& registry, const AsyncPool::Stats& async, metrics::Scrape& scrape);

// /metrics/live's body, from a scrape that collect() filled.
JsonObject live_json(const metrics::Scrape& scrape);

}  // namespace cohort::live
