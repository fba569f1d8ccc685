// conn_opener.hpp — opens a loop's share of a run's connections, a bounded number of handshakes
// at a time, and joins each to its topic.
//
// A handshake is "in flight" from connect until its join reply; a finished one starts the next,
// so at most max_in_flight connects/upgrades/joins are pending on the server at once. A
// connection that fails before its join reply is a setup failure (the run stops with its
// reason); one that fails later is counted as dropped. Frames of joined connections go to the
// run's FrameHandler.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "stats.hpp"
#include "ws_client.hpp"

namespace cohort::bench {

class ClientPool;

// What the connections of one run have achieved. Any-thread.
class SetupProgress {
 public:
  std::atomic<std::uint64_t> joined{0};
  std::atomic<std::uint64_t> failed{0};   // ended before their join reply
  std::atomic<std::uint64_t> dropped{0};  // ended after joining

  // Keeps the first reason of each kind, for the error message and the report.
  void record_failure(std::string_view why);
  void record_drop(std::string_view why);
  std::string first_failure() const;
  std::string first_drop() const;

 private:
  mutable std::mutex mu_;
  std::string first_failure_;
  std::string first_drop_;
};

// A run's reaction to frames of joined connections. Owner-thread-only (one per loop).
class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  virtual void on_joined(Connection& conn) {}
  virtual void on_frame(Connection& conn, const PhxFrame& frame) = 0;
};

class ConnOpener final : public ConnectionEvents {
 public:
  struct Plan {
    std::uint32_t first_index = 0;  // global number of this loop's first connection
    std::uint32_t stride = 1;       // step between this loop's global numbers
    std::uint32_t count = 0;        // connections to open on this loop
    std::uint32_t max_in_flight = 500;
    std::size_t wake_size = Connection::kDefaultWakeSize;  // per-connection read buffer
    std::function<std::string(std::uint32_t index)> topic_of;
    std::function<std::string(std::uint32_t index)> params_of;  // join params (JSON); empty: {}
  };

  ConnOpener(ClientLoop& loop, const WsTarget& target, SetupProgress& progress, FrameHandler& handler);

  // Starts opening. Owner-thread-only, like everything below.
  void start(Plan plan);
  // Time from connect to join reply of each connection opened so far.
  const LatencyHistogram& join_latency() const { return join_latency_; }
  // steady_ns() of the latest join reply (0 before the first).
  std::uint64_t last_join_ns() const { return last_join_ns_; }

 private:
  void open_more();
  void on_open(Connection& conn) override;
  void on_joined(Connection& conn) override;
  void on_frame(Connection& conn, const PhxFrame& frame) override;
  void on_failed(Connection& conn, std::string_view why) override;

  ClientLoop& loop_;
  const WsTarget& target_;
  SetupProgress& progress_;
  FrameHandler& handler_;
  Plan plan_;
  std::uint32_t opened_ = 0;
  std::uint32_t in_flight_ = 0;
  bool stopped_ = false;  // a setup failure stops further opening
  LatencyHistogram join_latency_;
  std::uint64_t last_join_ns_ = 0;
};

// Opens `count` connections over the pool's first openers.size() loops (connection i on loop
// i % openers.size()) with at most max_in_flight handshakes in flight in total. openers[i]
// belongs to loop i. Controller-only.
void open_spread(ClientPool& pool, std::vector<std::unique_ptr<ConnOpener>>& openers, std::uint32_t count,
                 std::uint32_t max_in_flight, const std::function<std::string(std::uint32_t)>& topic_of,
                 std::size_t wake_size = Connection::kDefaultWakeSize,
                 const std::function<std::string(std::uint32_t)>& params_of = {});

// Waits until `expected` connections joined (nullopt), one failed, or timeout passed (an error
// message either way). Controller-only.
std::optional<std::string> await_joined(const SetupProgress& progress, std::uint64_t expected,
                                        std::chrono::milliseconds timeout);

// When the last join reply came and how long the joins took, gathered from every opener on its
// own loop. Controller-only.
struct JoinSummary {
  std::uint64_t last_join_ns = 0;
  LatencyHistogram latency;
};
JoinSummary summarize_joins(ClientPool& pool, std::vector<std::unique_ptr<ConnOpener>>& openers);

}  // namespace cohort::bench
