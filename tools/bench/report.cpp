// report.cpp — printing figures: see report.hpp.
#include "report.hpp"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace cohort::bench {

Report::Report(std::string_view mode) { json_["mode"] = mode; }

void Report::figure(std::string_view key, boost::json::value value, std::string_view label, std::string_view text) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "  %-24.*s ", static_cast<int>(label.size()), label.data());
  text_ += buf;
  text_ += text;
  text_ += '\n';
  json_[key] = std::move(value);
}

void Report::latency(std::string_view prefix, std::string_view label, const LatencyHistogram& h) {
  struct Row {
    const char* name;
    double q;
  };
  static constexpr Row kRows[] = {{"p50", 0.50}, {"p99", 0.99}, {"p999", 0.999}, {"max", 1.0}};
  for (const Row& row : kRows) {
    std::uint64_t ns = row.q >= 1.0 ? h.max() : h.percentile(row.q);
    std::string key = std::string(prefix) + row.name + "_ms";
    std::string text = fixed(ms3(ns), 3) + " ms";
    figure(key, ms3(ns), std::string(label) + " " + row.name, text);
  }
}

void Report::line(std::string_view text) {
  text_ += text;
  text_ += '\n';
}

void Report::json(std::string_view key, boost::json::value value) { json_[key] = std::move(value); }

namespace {

// JSON text of v, with numbers written the short way (0.122, not 1.22E-1) for people who read
// the RESULT line too.
void write_json(std::string& out, const boost::json::value& v) {
  char buf[32];
  switch (v.kind()) {
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) d = 0;
      auto [end, ec] = std::abs(d) < 9e15 && d == std::trunc(d)
                           ? std::to_chars(buf, buf + sizeof buf, static_cast<long long>(d))
                           : std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, end);
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::value(member.key()));
        out += ':';
        write_json(out, member.value());
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(out, item);
      }
      out += ']';
      return;
    }
    default:
      out += boost::json::serialize(v);
  }
}

}  // namespace

void Report::print() const {
  std::fputs(text_.c_str(), stdout);
  std::string result;
  write_json(result, json_);
  std::printf("RESULT %s\n", result.c_str());
  std::fflush(stdout);
}

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double ms3(std::uint64_t ns) { return std::round(static_cast<double>(ns) / 1e3) / 1e3; }

void report_round_trips(Report& report, const RoundTrips& run, const LatencyHistogram& latency) {
  report.figure("clients", run.clients, "clients", with_commas(run.clients));
  report.figure("threads", run.threads, "client threads", std::to_string(run.threads));
  report.figure("setup_seconds", std::round(run.setup_s * 1000) / 1000, "connect + join", fixed(run.setup_s, 2) + " s");
  report.figure("duration_seconds", std::round(run.seconds * 1000) / 1000, "duration", fixed(run.seconds, 2) + " s");
  report.figure("round_trips", run.count, "round trips", with_commas(run.count));
  report.figure("round_trips_per_s", std::round(run.count / run.seconds), "round trips/s",
                with_commas(static_cast<std::uint64_t>(run.count / run.seconds)));
  report.latency("", "latency", latency);
  report.figure("errors", run.errors, "error replies", with_commas(run.errors));
}

}  // namespace cohort::bench
