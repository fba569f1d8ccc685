// scrape.cpp — Scrape: see scrape.hpp.
#include "metrics/scrape.hpp"

#include <locale>
#include <sstream>
#include <stdexcept>

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

namespace cohort::metrics {

namespace {

std::vector<prometheus::ClientMetric::Label> to_labels(const Labels& labels) {
  std::vector<prometheus::ClientMetric::Label> out;
  for (const auto& [name, value] : labels) {
    if (!prometheus::CheckLabelName(name) || name == "le")
      throw std::logic_error("metrics: bad label name " + name);
    out.push_back({name, value});
  }
  return out;
}

}  // namespace

prometheus::ClientMetric& Scrape::add(std::string_view name, std::string_view help, prometheus::MetricType type,
                                      const Labels& labels) {
  const std::string n(name);
  if (!prometheus::CheckMetricName(n)) throw std::logic_error("metrics: bad name " + n);
  if (help.empty()) throw std::logic_error("metrics: no help for " + n);
  if (type == prometheus::MetricType::Counter && !n.ends_with("_total"))
    throw std::logic_error("metrics: counter " + n + " does not end in _total");
  prometheus::MetricFamily* family = nullptr;
  for (auto& f : families_)
    if (f.name == n) family = &f;
  if (!family) {
    families_.push_back(prometheus::MetricFamily{n, std::string(help), type, {}});
    family = &families_.back();
  } else if (family->type != type || family->help != help) {
    throw std::logic_error("metrics: " + n + " added twice with another type or help");
  }
  family->metric.push_back(prometheus::ClientMetric{});
  family->metric.back().label = to_labels(labels);
  return family->metric.back();
}

void Scrape::counter(std::string_view name, std::string_view help, double value, const Labels& labels) {
  add(name, help, prometheus::MetricType::Counter, labels).counter.value = value;
}

void Scrape::gauge(std::string_view name, std::string_view help, double value, const Labels& labels) {
  add(name, help, prometheus::MetricType::Gauge, labels).gauge.value = value;
}

void Scrape::histogram(std::string_view name, std::string_view help, const Histogram& h, const Labels& labels) {
  auto& m = add(name, help, prometheus::MetricType::Histogram, labels);
  const Histogram::Snapshot s = h.snapshot();
  m.histogram.sample_count = s.count;
  m.histogram.sample_sum = s.sum;
  for (std::size_t i = 0; i < s.bounds.size(); ++i) m.histogram.bucket.push_back({s.cumulative[i], s.bounds[i]});
}

const prometheus::ClientMetric* Scrape::find(std::string_view name, const Labels& labels) const {
  const auto wanted = to_labels(labels);
  for (const auto& f : families_)
    if (f.name == name)
      for (const auto& m : f.metric)
        if (m.label == wanted) return &m;
  return nullptr;
}

std::optional<double> Scrape::value(std::string_view name, const Labels& labels) const {
  for (const auto& f : families_) {
    if (f.name != name) continue;
    const auto* m = find(name, labels);
    if (!m) return std::nullopt;
    return f.type == prometheus::MetricType::Counter ? m->counter.value : m->gauge.value;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Scrape::histogram_count(std::string_view name, const Labels& labels) const {
  const auto* m = find(name, labels);
  return m ? std::optional(m->histogram.sample_count) : std::nullopt;
}

std::optional<double> Scrape::histogram_sum(std::string_view name, const Labels& labels) const {
  const auto* m = find(name, labels);
  return m ? std::optional(m->histogram.sample_sum) : std::nullopt;
}

std::string Scrape::text() const {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  prometheus::TextSerializer{}.Serialize(out, families_);
  return out.str();
}

}  // namespace cohort::metrics
