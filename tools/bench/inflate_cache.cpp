// inflate_cache.cpp — inflate each distinct compressed message once: see inflate_cache.hpp.
#include "inflate_cache.hpp"

#include "net/ws_deflate.hpp"
#include "net/ws_frame.hpp"

namespace cohort::bench {

InflateCache::Text InflateCache::lookup(std::string_view deflated, std::size_t limit) {
  std::uint64_t digest = std::hash<std::string_view>{}(deflated) ^ (deflated.size() * 0x9E3779B97F4A7C15ull);
  if (digest == 0) digest = 1;
  auto it = entries_.find(digest);
  if (it != entries_.end() && it->second.deflated_len == deflated.size()) {
    ++hits;
    return {digest, &it->second.text};
  }
  ++misses;
  std::string text;
  if (net::ws::thread_inflater().inflate(deflated, limit, text) != net::ws::InflateResult::ok ||
      !net::ws::valid_utf8(text))
    return {};
  inflated_bytes += text.size();
  if (it != entries_.end()) {  // a (vanishingly unlikely) collision: replace the entry
    held_ -= it->second.text.size();
    it->second = Entry{deflated.size(), std::move(text)};
    held_ += it->second.text.size();
    return {digest, &it->second.text};
  }
  while (held_ + text.size() > budget_ && !order_.empty()) {
    auto old = entries_.find(order_.front());
    order_.pop_front();
    if (old == entries_.end()) continue;
    held_ -= old->second.text.size();
    entries_.erase(old);
  }
  held_ += text.size();
  order_.push_back(digest);
  auto& e = entries_[digest] = Entry{deflated.size(), std::move(text)};
  return {digest, &e.text};
}

}  // namespace cohort::bench
