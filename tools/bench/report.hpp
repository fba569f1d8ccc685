// report.hpp — how a run's figures come out: aligned lines for people, then one line
// `RESULT {...}` of JSON for scripts, with the same figures under stable keys.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "stats.hpp"

namespace cohort::bench {

class Report {
 public:
  explicit Report(std::string_view mode);

  // One figure: printed as "  <label>  <text>", stored in the JSON as key: value.
  void figure(std::string_view key, boost::json::value value, std::string_view label, std::string_view text);
  // The usual latency lines (p50, p99, p999, max, in ms) under keys <prefix>p50_ms, ...
  void latency(std::string_view prefix, std::string_view label, const LatencyHistogram& h);
  // A printed line with no JSON figure (tables, notes).
  void line(std::string_view text);
  // A JSON-only member (arrays of steps, nested objects).
  void json(std::string_view key, boost::json::value value);

  // Prints the collected lines, then the RESULT line. Flushes stdout.
  void print() const;

 private:
  std::string text_;
  boost::json::object json_;
};

// What a closed-loop round-trip run measured (echo, longpoll): its figures, printed the same way
// by both modes so their lines compare.
struct RoundTrips {
  unsigned clients = 0;
  unsigned threads = 0;
  double setup_s = 0;
  double seconds = 0;
  std::uint64_t count = 0;
  std::uint64_t errors = 0;  // replies whose status was not "ok"
};
void report_round_trips(Report& report, const RoundTrips& run, const LatencyHistogram& latency);

// 1234567 → "1,234,567".
std::string with_commas(std::uint64_t n);
// A value with a fixed number of decimals.
std::string fixed(double v, int decimals);
// Nanoseconds as milliseconds, 3 decimals (JSON figure rounded the same way).
double ms3(std::uint64_t ns);

}  // namespace cohort::bench
