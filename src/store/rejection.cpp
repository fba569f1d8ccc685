// rejection.cpp — the wire names of cohort::Rejection (cohort/store.hpp): one table, both ways.
#include <array>
#include <utility>

#include "cohort/store.hpp"

namespace cohort {

namespace {

constexpr std::array<std::pair<Rejection, std::string_view>, 13> kNames = {{
    {Rejection::unknown_op, "unknown_op"},
    {Rejection::forbidden, "forbidden"},
    {Rejection::conflict, "conflict"},
    {Rejection::invalid, "invalid"},
    {Rejection::locked, "locked"},
    {Rejection::lock_timeout, "lock_timeout"},
    {Rejection::queue_full, "queue_full"},
    {Rejection::too_large, "too_large"},
    {Rejection::storage_error, "storage_error"},
    {Rejection::too_many_keys, "too_many_keys"},
    {Rejection::internal, "internal"},
    {Rejection::unavailable, "unavailable"},
    {Rejection::not_found, "not_found"},
}};

}  // namespace

std::string_view wire_name(Rejection why) {
  for (auto [r, name] : kNames)
    if (r == why) return name;
  return "internal";
}

std::optional<Rejection> rejection_from_wire(std::string_view name) {
  for (auto [r, n] : kNames)
    if (n == name) return r;
  return std::nullopt;
}

std::optional<Rejection> OpOutcome::rejection() const {
  if (ok) return std::nullopt;
  const Json* reason = error.if_contains("reason");
  if (!reason || !reason->is_string()) return Rejection::internal;
  return rejection_from_wire(reason->get_string()).value_or(Rejection::internal);
}

}  // namespace cohort
