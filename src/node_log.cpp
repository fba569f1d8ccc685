// node_log.cpp — the node's own log lines (node_log.hpp).
#include "node_log.hpp"

#include "config_shown.hpp"
#include "log/log.hpp"

namespace cohort {

std::optional<std::string> configure_log(const Config& config) {
  log::Options options;
  auto format = log::parse_format(config.log_format);
  if (!format) return "log_format '" + config.log_format + "' is not text or json";
  options.format = *format;
  if (auto err = log::thresholds_of(config.log_level, config.log_levels, options.thresholds)) return "log: " + *err;
  options.access = config.access_log;
  options.file = config.log_file;
  options.limit_per_s = config.log_limit_per_s;
  options.node = config.node_name;
  return log::configure(options);
}

void name_log_node(const Config& config, std::optional<std::uint32_t> cluster_id) {
  if (!config.node_name.empty() || !cluster_id) return;
  log::set_node(log::host_name() + "#" + std::to_string(*cluster_id));
}

void log_started(const Config& config, const ListenAddresses& listening, std::optional<std::uint32_t> cluster_id) {
  if (!log::enabled(log::Category::node, log::Level::info)) return;
  const Json settings = shown_settings(config);
  const std::string node_id = cluster_id ? std::to_string(*cluster_id) : std::string();
  log::event(log::Category::node, log::Level::info, "started",
             {{"listen", listening.main},
              {"admin", listening.admin},
              {"tls_redirect", listening.redirect},
              {"reactors", config.reactor_count()},
              {"cluster_node_id", node_id},
              {"settings", settings}});
}

void log_stop_requested(std::string_view reason) {
  log::event(log::Category::node, log::Level::info, "stop_requested", {{"reason", reason}});
}

void log_stopped(std::chrono::steady_clock::duration drain) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(drain).count();
  log::event(log::Category::node, log::Level::info, "stopped", {{"drain_ms", ms}});
  log::drain();
}

}  // namespace cohort
