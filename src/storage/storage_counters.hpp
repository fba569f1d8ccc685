// storage_counters.hpp — what the storage writers count for /metrics: ops per transaction,
// items waiting for the writer, failed transactions.
//
// Owns: StorageCounters (relaxed atomics and a Histogram, written by the writer thread and by
// the threads that queue; read at scrape time) and the collector of their families; the node's
// way to open a storage that records into them (the public open_*_storage record nowhere).
// It must never be used to synchronise the writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "cohort/storage.hpp"
#include "metrics/histogram.hpp"
#include "metrics/scrape.hpp"

namespace cohort::storage {

struct StorageCounters {
  metrics::Histogram batch_ops{metrics::kBatchBounds, 1};  // ops (appends) per committed or failed transaction
  std::atomic<std::int64_t> queue_depth{0};                 // queued, not yet taken by the writer
  std::atomic<std::uint64_t> commit_failures{0};            // transactions rolled back: none of their ops stored

  void queued(std::int64_t n) { queue_depth.fetch_add(n, std::memory_order_relaxed); }
  // A transaction of `ops` appends (transactions of snapshots or fences alone are not observed).
  void transaction(std::size_t ops, bool failed) {
    if (ops) batch_ops.observe(ops);
    if (failed) commit_failures.fetch_add(1, std::memory_order_relaxed);
  }
};

void collect(const StorageCounters& c, metrics::Scrape& s);

// As cohort::open_sqlite_storage / open_postgres_storage, recording into counters (may be null).
std::unique_ptr<Storage> open_sqlite_recording(const std::string& data_dir, std::string& error, const StoreLimits& limits,
                                               StorageCounters* counters);
std::unique_ptr<Storage> open_postgres_recording(const std::string& url, std::string& error, const StoreLimits& limits,
                                                 StorageCounters* counters);

}  // namespace cohort::storage
