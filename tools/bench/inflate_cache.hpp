// inflate_cache.hpp — compressed messages the bench has already inflated, keyed by their bytes.
//
// Cohort compresses a broadcast once and sends the same bytes to every subscriber (and a
// presence_state once per state change), so a loop of 5,000 clients receives each distinct
// compressed message thousands of times. Per message, a client here still receives every byte
// and hashes all of them (std::hash over the compressed payload, plus its length); only the
// inflate, the UTF-8 check and the caller's parse are done once per distinct message (a digest
// lets the caller cache its parse too). A real browser inflates and parses its own copy: the
// bench's figure measures the server and the wire, not the client's CPU (docs/benchmarks.md).
// Owner-thread-only (one per ClientLoop). Bounded: once the inflated texts held pass the budget,
// the oldest entries go (a later copy is then inflated again: slower, never wrong).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cohort::bench {

class InflateCache {
 public:
  explicit InflateCache(std::size_t budget_bytes = 64u << 20) : budget_(budget_bytes) {}

  struct Text {
    std::uint64_t digest = 0;  // equal digests: byte-identical compressed messages (never 0)
    const std::string* text = nullptr;  // inflated; valid until the next lookup
  };
  // The inflated text of one compressed message (DEFLATE bytes, tail removed), or text ==
  // nullptr when it is not valid DEFLATE, inflates past limit or is not UTF-8.
  Text lookup(std::string_view deflated, std::size_t limit);

  std::uint64_t hits = 0, misses = 0;  // lookups answered from the cache / inflated
  std::uint64_t inflated_bytes = 0;    // text produced by inflating (misses only)

 private:
  struct Entry {
    std::size_t deflated_len;
    std::string text;
  };
  std::size_t budget_;
  std::size_t held_ = 0;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::deque<std::uint64_t> order_;  // insertion order, for eviction
};

}  // namespace cohort::bench
