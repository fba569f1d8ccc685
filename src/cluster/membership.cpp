// membership.cpp — alive nodes from heartbeats: see membership.hpp.
#include "cluster/membership.hpp"

#include <algorithm>

namespace cohort::cluster {

bool Membership::heard(std::uint32_t node, TimePoint now) {
  auto [it, inserted] = last_heard_.try_emplace(node, now);
  if (!inserted) it->second = std::max(it->second, now);
  return inserted;
}

std::vector<std::uint32_t> Membership::expire(TimePoint now) {
  std::vector<std::uint32_t> down;
  for (auto it = last_heard_.begin(); it != last_heard_.end();) {
    if (now - it->second > down_after_) {
      down.push_back(it->first);
      it = last_heard_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(down.begin(), down.end());
  return down;
}

void Membership::refresh_all(TimePoint now) {
  for (auto& [node, when] : last_heard_) when = now;
}

std::vector<std::uint32_t> Membership::nodes() const {
  std::vector<std::uint32_t> out;
  for (const auto& [node, when] : last_heard_) out.push_back(node);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cohort::cluster
