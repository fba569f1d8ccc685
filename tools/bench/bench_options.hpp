// bench_options.hpp — the command line of cohort-bench: one table of options, checked together.
//
// Every option names the modes it applies to; giving it to another mode is an error, as are
// inconsistent combinations (--ramp with --duration, more connections than file descriptors).
// Defaults carry their reasons in bench_options.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "live_page.hpp"
#include "ws_url.hpp"

namespace cohort::bench {

struct BenchOptions {
  std::string mode;  // fanout | echo | conns | presence | store | longpoll | live
  std::string url = "ws://127.0.0.1:4000/socket/websocket";
  WsTarget target;   // url, parsed
  bool deflate = true;  // --deflate: offer permessage-deflate
  std::string topic = "room:bench";
  double duration_s = 10;
  bool duration_set = false;
  unsigned threads = 1;
  unsigned max_in_flight = 500;
  double setup_timeout_s = 60;
  // fanout
  unsigned subscribers = 1000;
  double rate = 1000;
  bool rate_set = false;
  bool ramp = false;
  double step_seconds = 3;
  unsigned max_steps = 20;
  double ramp_factor = 1.5;
  double p99_limit_ms = 100;
  double drain_s = 5;
  unsigned payload_bytes = 0;
  // fanout across a cluster: subscriber loop i connects to subscriber_targets[i % n]; the
  // publisher stays on --url. Empty: everyone on --url.
  std::string subscriber_urls;
  std::vector<WsTarget> subscriber_targets;
  // echo
  unsigned clients = 100;
  // conns
  unsigned count = 10000;
  int server_pid = 0;
  double hold_s = 2;
  // presence (also --count, --topic)
  double converge_timeout_s = 30;
  // store (also --subscribers, --rate, --duration, --drain-seconds)
  std::string key = "livedoc:bench";
  std::string token;
  unsigned writers = 10;
  // live <live_mode>: views of --page (live.cpp)
  std::string live_mode;  // mount | change | sustained | events
  std::string page_url = "http://127.0.0.1:4000/counter";
  PageUrl page;  // page_url, parsed
  unsigned views = 100;
  unsigned rounds = 10;
  std::vector<double> rates{20};
  unsigned clickers = 1;
  std::string value_after = R"(<span id="count" class="count">)";
  bool value_after_set = false;
  std::string event = "inc";
  std::string event_value = R"({"by":"1","value":""})";
  double round_timeout_s = 10;

  // The prefix of topic up to and including its ':' ("room:"), for echo and conns topics.
  std::string topic_prefix() const;
  // Connections the run will open (for the file-descriptor check).
  unsigned connections() const;
};

// Parses the options that follow the mode name (for live: the live mode, then its options).
// Returns an error message, or nullopt.
std::optional<std::string> parse_options(const std::string& mode, const std::vector<std::string>& args,
                                         BenchOptions& out);

// The help text: modes and every option with its default.
std::string usage();

// Whether mode names a mode.
bool known_mode(const std::string& mode);

}  // namespace cohort::bench
