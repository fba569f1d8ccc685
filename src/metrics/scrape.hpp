// scrape.hpp — one scrape of /metrics: the families every layer adds, and the one formatter.
//
// Owns: the list of prometheus::MetricFamily values of one scrape, built at scrape time from
// the layers' own counters (relaxed atomics, Histogram), and their text form through
// prometheus-cpp's TextSerializer (the Prometheus text format 0.0.4) — the only place Cohort
// writes metrics text. prometheus-cpp's own Counter/Histogram types (a lock or a CAS per
// observation) are never used: what is recorded on the hot paths stays Cohort's.
// Rules it enforces (std::logic_error: a bug in Cohort, caught by the tests): every family has a
// help text and a type; names and label names follow the Prometheus rules; a counter's name
// ends in "_total"; a name is registered with one type and one help only.
// It must never be shared between threads: each scrape builds its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/metric_family.h>

#include "metrics/histogram.hpp"

namespace cohort::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Scrape {
 public:
  void counter(std::string_view name, std::string_view help, double value, const Labels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value, const Labels& labels = {});
  void histogram(std::string_view name, std::string_view help, const Histogram& h, const Labels& labels = {});

  // The value of a counter or gauge series (labels exactly as added), or nullopt.
  std::optional<double> value(std::string_view name, const Labels& labels = {}) const;
  // The count / sum of a histogram series, or nullopt.
  std::optional<std::uint64_t> histogram_count(std::string_view name, const Labels& labels = {}) const;
  std::optional<double> histogram_sum(std::string_view name, const Labels& labels = {}) const;

  const std::vector<prometheus::MetricFamily>& families() const { return families_; }
  std::string text() const;  // the Prometheus text format

 private:
  prometheus::ClientMetric& add(std::string_view name, std::string_view help, prometheus::MetricType type,
                                const Labels& labels);
  const prometheus::ClientMetric* find(std::string_view name, const Labels& labels) const;
  std::vector<prometheus::MetricFamily> families_;
};

}  // namespace cohort::metrics
