// limit_counters.cpp — the log lines of per-client limits (limit_counters.hpp): one throttled
// event kind per limit and kind (refused, closed), so a flood of one limit cannot hide another's.
#include "net/limit_counters.hpp"

#include <deque>

namespace cohort::net {

namespace {

// Built once, never destroyed (log::Throttled registers itself for good). Index: limit * 2 +
// closed. A deque: its elements never move.
std::deque<log::Throttled>& throttles() {
  static auto* table = [] {
    auto* t = new std::deque<log::Throttled>;
    for (const LimitInfo& info : kLimits) {
      t->emplace_back(log::Category::net, log::Level::info, "limit_refused", info.name);
      t->emplace_back(log::Category::net, log::Level::info, "limit_closed", info.name);
    }
    return t;
  }();
  return *table;
}

}  // namespace

void log_limit(Limit l, bool closed, std::string_view client) {
  const auto i = static_cast<unsigned>(l);
  auto& throttled = throttles()[i * 2 + (closed ? 1 : 0)];
  if (client.empty()) throttled.event({{"limit", kLimits[i].name}});
  else throttled.event({{"limit", kLimits[i].name}, {"client", client}});
}

}  // namespace cohort::net
