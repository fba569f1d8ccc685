// node_log.hpp — what the node itself logs: its log set up from its settings, its start line
// and its stop lines (docs/operations.md, Logs).
//
// Owns: the translation of Config's log_* settings into log::Options, the node name lines carry
// (node_name, else the host name, with "#<id>" once the node has a cluster id), and the events
// of category node: `started` (listen addresses, reactors, every effective setting with secrets
// redacted: config_shown.hpp), `stop_requested` (the reason), `stopped` (how long the drain
// took). It must never put a secret's value in a line.
// Threads: configure_log and name_log_node on the thread that starts the node; the rest any.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/config.hpp"

namespace cohort {

// Sets up the process's log from config. Error: a bad log setting, or the log file cannot be
// opened (the node refuses to start with it).
std::optional<std::string> configure_log(const Config& config);
// After the cluster join: lines name the node "<host>#<id>" unless node_name is set.
void name_log_node(const Config& config, std::optional<std::uint32_t> cluster_id);

struct ListenAddresses {
  std::string main;      // "http://127.0.0.1:4000"
  std::string admin;     // empty: none
  std::string redirect;  // empty: none
};
void log_started(const Config& config, const ListenAddresses& listening, std::optional<std::uint32_t> cluster_id);
void log_stop_requested(std::string_view reason);
void log_stopped(std::chrono::steady_clock::duration drain);

}  // namespace cohort
