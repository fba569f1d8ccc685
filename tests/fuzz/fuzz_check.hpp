// fuzz_check.hpp — FUZZ_CHECK(cond): the invariant check of every fuzz target. A failure prints
// the condition and aborts, which libFuzzer reports as a crash (saving the input) and the plain
// driver (fuzz_replay.cpp) as a failed test.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                              \
  do {                                                                                                \
    if (!(cond)) {                                                                                    \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);         \
      std::abort();                                                                                   \
    }                                                                                                 \
  } while (0)

#include <cmath>

#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

// Parses JSON text the fuzz targets made themselves (never throws for depth: up to 4096).
inline boost::json::value fuzz_parse(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = 4096;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec, {}, options);
  FUZZ_CHECK(!ec);
  return v;
}

// a == b, except that doubles may differ in their last bits: Boost.JSON 1.81 parses numbers
// fast, not exactly, so a double that is serialized (shortest round-trip form) and parsed again
// can come back one or two ulps away. Everything else must be equal.
inline bool fuzz_same_json(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return x == y || std::fabs(x - y) <= 1e-14 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (!fuzz_same_json(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& [k, v] : p) {
      const auto* w = q.if_contains(k);
      if (!w || !fuzz_same_json(v, *w)) return false;
    }
    return true;
  }
  return a == b;
}
