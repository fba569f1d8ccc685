// readiness.hpp — whether this node should be sent traffic now (/readyz), and why not.
//
// Owns: the storage probe loop (at most one Storage::probe in flight; a new one every
// ready_probe_ms once the last has answered), the last probe's outcome, and the verdict. The
// node is ready when the last probe committed and none has waited longer than
// ready_storage_timeout_ms, the cluster's Redis links are up (when clustered: the caller gives
// that problem), and the node is not draining.
// Also: drain_commits(), the bounded wait at shutdown for everything the storage has queued.
// Must never: block a reactor (probes are queued, their outcomes arrive on the storage's writer
// thread), or show a storage error's text on the public surface (verdict().detail is for the
// admin listener only: it may name paths and servers).
// Threads: start() and stop() on the node's constructing thread (the timer runs on the reactor
// it was given); verdict(), set_draining() and drain_commits() on any thread (a mutex; none is a
// hot path).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cohort/storage.hpp"

namespace cohort {

class Readiness {
 public:
  using Clock = std::chrono::steady_clock;
  struct Verdict {
    bool ready = false;
    std::vector<std::string> reasons;  // short, for anyone: "storage: not writable", "draining"
    std::string detail;                // the storage's own error text: admin listener only
  };

  Readiness(std::chrono::milliseconds interval, std::chrono::milliseconds timeout)
      : state_(std::make_shared<State>()), interval_(interval), timeout_(timeout) {}

  // Starts probing storage from io's thread. storage must outlive every probe it was given:
  // destroy (or flush) it before this object.
  void start(Storage& storage, boost::asio::io_context& io);
  void stop();  // cancels the timer (its io_context stopped or not): before the reactors go
  void set_draining();
  // cluster_problem: why the cluster makes the node unready, or nullopt (alone, or linked).
  Verdict verdict(std::optional<std::string> cluster_problem, Clock::time_point now = Clock::now()) const;
  // Queues a probe behind everything the storage holds and waits until it answered (so every
  // op queued before has committed or failed) or until deadline. Whether it answered in time.
  bool drain_commits(Storage& storage, Clock::time_point deadline);

 private:
  // Shared with the probes' callbacks, which may run after stop() (never after the storage).
  struct State {
    std::mutex mutex;
    std::condition_variable answered;
    bool probed = false;                   // a probe has answered since start
    bool in_flight = false;
    Clock::time_point sent{};              // when the probe in flight was queued
    std::optional<std::string> failure;    // the last answer's error
    std::uint64_t answers = 0;
    bool draining = false;
  };
  void probe_later();
  void probe_now();

  std::shared_ptr<State> state_;
  std::chrono::milliseconds interval_, timeout_;
  Storage* storage_ = nullptr;
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

}  // namespace cohort
