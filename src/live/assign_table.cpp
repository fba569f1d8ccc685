// assign_table.cpp — see assign_table.hpp.
#include "live/assign_table.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace cohort::live {

namespace {

constexpr std::size_t kFirstAssigns = 8;

// A table twice as large (from kFirstAssigns, at most kMaxAssigns) holding copies of every
// value; the old table, untouched, goes to `retired`.
void grow(JsonObject& assigns, RetiredAssigns& retired) {
  if (assigns.empty()) return assigns.reserve(kFirstAssigns);  // no slot to keep
  JsonObject bigger(assigns.storage());
  bigger.reserve(std::clamp(assigns.capacity() * 2, kFirstAssigns, kMaxAssigns));
  for (const auto& [key, value] : assigns) bigger.emplace(key, value);
  retired.push_back(std::move(assigns));  // a move hands over the table: its slots stay put
  assigns = std::move(bigger);
}

}  // namespace

Json& assign_slot(JsonObject& assigns, RetiredAssigns& retired, std::string_view key) {
  if (auto* v = assigns.if_contains(key)) return *v;
  if (assigns.size() >= kMaxAssigns)
    throw std::length_error("a live view or component holds at most 64 assigns (adding '" + std::string(key) + "')");
  if (assigns.size() >= assigns.capacity()) grow(assigns, retired);
  return assigns[key];
}

}  // namespace cohort::live
