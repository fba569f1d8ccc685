// limit_counters.hpp — how often each per-client limit refused something or closed a socket.
//
// Owns: one refusal counter and one close counter per Limit, and the names /metrics gives them
// (cohort_limit_refusals_total{limit="<name>"}, cohort_limit_closes_total{limit="<name>"}; the
// limits, their settings and what a client sees are listed in docs/security.md). One table of
// names, so a new limit is one enum value and one name. Counters are relaxed atomics, bumped from
// any thread: a refusal is rare next to the messages served (a flood is closed after a bounded
// number of refusals), so they stay off the per-message counters of net_context.hpp.
// Each refusal and close is also a log line (category net, info: limit_refused / limit_closed
// with the limit's name and, where the caller knows it, the client's address), throttled per
// limit and kind (log::Throttled, Config::log_limit_per_s), so a flood costs a few lines a second
// and one summary of how many were left out.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

#include "log/log.hpp"

namespace cohort::net {

enum class Limit : unsigned {
  socket_messages,         // a message over the socket's rate (rate_limited); close: a sustained flood
  socket_channels,         // a join past socket_max_channels
  socket_presences,        // a track past socket_max_presences
  socket_pending_replies,  // a push while socket_max_pending_replies replies are still owed
  outbound_queue,          // close: the socket's outbound queue passed outbound_queue_limit
  ip_connections,          // a connection past ip_max_connections open from one address
  ip_connection_rate,      // a connection faster than ip_connections_per_s from one address
  presence_meta_bytes,     // a track or update whose key + meta is over presence_max_meta_bytes
  presence_topic_entries,  // a track past presence_max_topic_entries on one topic
  presence_topic_bytes,    // a track or update that would make a topic's state over its byte bound
  count_
};

// A limit's name in /metrics, and which of its two series it has.
struct LimitInfo {
  std::string_view name;
  bool refuses;  // cohort_limit_refusals_total{limit=name}
  bool closes;   // cohort_limit_closes_total{limit=name}
};
inline constexpr std::array<LimitInfo, static_cast<unsigned>(Limit::count_)> kLimits = {{
    {"socket_messages", true, true},
    {"socket_channels", true, false},
    {"socket_presences", true, false},
    {"socket_pending_replies", true, false},
    {"outbound_queue", false, true},
    {"ip_connections", true, false},
    {"ip_connection_rate", true, false},
    {"presence_meta_bytes", true, false},
    {"presence_topic_entries", true, false},
    {"presence_topic_bytes", true, false},
}};

// The throttled log line of one refusal (closed = false) or close (limit_counters.cpp).
void log_limit(Limit l, bool closed, std::string_view client);

struct LimitCounters {
  static constexpr unsigned kCount = static_cast<unsigned>(Limit::count_);
  std::array<std::atomic<std::uint64_t>, kCount> refusals{};
  std::array<std::atomic<std::uint64_t>, kCount> closes{};

  // client: the address the refusal or close is about, when the caller knows it.
  void refused(Limit l, std::string_view client = {}) {
    refusals[static_cast<unsigned>(l)].fetch_add(1, std::memory_order_relaxed);
    if (log::enabled(log::Category::net, log::Level::info)) log_limit(l, false, client);
  }
  void closed(Limit l, std::string_view client = {}) {
    closes[static_cast<unsigned>(l)].fetch_add(1, std::memory_order_relaxed);
    if (log::enabled(log::Category::net, log::Level::info)) log_limit(l, true, client);
  }
  std::uint64_t refusals_of(Limit l) const { return refusals[static_cast<unsigned>(l)].load(std::memory_order_relaxed); }
  std::uint64_t closes_of(Limit l) const { return closes[static_cast<unsigned>(l)].load(std::memory_order_relaxed); }
};

}  // namespace cohort::net
