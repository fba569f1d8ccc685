// lookup.hpp — /lookup, a phone directory that answers slowly: the demo of a view's async work
// (Socket::assign_async, start_async, cancel_async). The "directory" stands for any slow
// service a page must not wait on (a database on another machine, an HTTP API): each answer
// takes lookup_ms on a worker thread, "through the slow mirror" takes a minute unless
// cancelled, and an unknown name fails. The page shows each state (loading, the answer, the
// failure, cancelled) and how many lookups stopped early because nobody wanted them any more
// (cancelled, or their page closed; every /lookup page of the node hears the count at once), so a browser test (tests/browser/lookup.test.mjs) reads
// every path.
#pragma once

#include <chrono>

#include "cohort/live.hpp"

namespace cohort::apps {

void install_lookup(live::Live& live, std::chrono::milliseconds lookup_time);

}  // namespace cohort::apps
