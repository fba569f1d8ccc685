// net_metrics.hpp — the net layer's figures in /metrics: connections, sockets, messages, limits,
// parser refusals, close codes sent, outbound queue bytes, channels joined and join latency.
//
// Owns: the names, help texts and types of those families (docs/operations.md lists them), read
// from net::Metrics and the parser refusals at scrape time. It must never write a counter.
#pragma once

#include "metrics/scrape.hpp"
#include "net/net_context.hpp"

namespace cohort::net {

void collect(const Metrics& m, metrics::Scrape& scrape);

}  // namespace cohort::net
