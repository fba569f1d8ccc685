// address_limits.cpp — per-address connection limits: see address_limits.hpp.
#include "net/address_limits.hpp"

namespace cohort::net {

void AddressTicket::release() {
  if (auto* table = std::exchange(table_, nullptr)) table->release(key_);
}

AddressLimits::Admission AddressLimits::admit(const AddressKey& key, Clock::time_point now) {
  if (!limited()) return {};
  std::lock_guard lock(mutex_);
  auto [it, fresh] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (fresh) e.bucket = TokenBucket(settings_.per_second, settings_.burst, now);
  Admission a;
  if (settings_.max_open && e.open >= settings_.max_open) a.verdict = Verdict::too_many_open;
  else if (!e.bucket.take(now)) a.verdict = Verdict::too_fast;
  if (a.verdict != Verdict::admitted) {
    if (fresh) entries_.erase(it);  // cannot happen with a full fresh bucket, but keep no junk
    return a;
  }
  ++e.open;
  a.ticket = AddressTicket(this, key);
  return a;
}

void AddressLimits::release(const AddressKey& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.open > 0) --it->second.open;
}

void AddressLimits::prune(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [now](const auto& kv) { return kv.second.open == 0 && kv.second.bucket.full(now); });
}

std::size_t AddressLimits::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::uint32_t AddressLimits::open(const AddressKey& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.open;
}

}  // namespace cohort::net
