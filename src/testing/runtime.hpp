// runtime.hpp — the pieces of one node a test harness runs (cohort/testing.hpp), and the
// step-by-step way it runs them.
//
// Owns: one reactor that is never given a thread (the test's thread runs it: settle(), await()),
// the node's PubSub, Presence (published at once: tick 0) and stores (in memory or on a
// temporary SQLite file; their clock held), the harness's TokenSigner, and the harness's timers
// (ChannelContext::after of the harness's channels and views), which fire only as advance()
// moves the held clock past them. Contract: after settle() nothing is ready to run — every
// message posted has been delivered, every render a frame asked for has happened. Must never
// sleep: the only wait is await()'s for storage threads (their loads and commits), bounded.
// Threads: the thread that made it, only.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cohort/testing.hpp"
#include "net/reactor.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"
#include "store/local_stores.hpp"

namespace cohort::testing {

struct Runtime {
  Runtime(bool sqlite, StoreLimits limits);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  net::Reactor& reactor() { return reactors.at(0); }
  store::Clock::time_point now() { return stores->clock().now(); }

  // Kinds go in before the stores are first used.
  void define(StoreKind kind);
  // The stores are in use from now on (define() is refused after).
  void use_stores() { stores_used = true; }
  // A node restart for the stores: a fresh LocalStores over the same storage and kinds.
  void restart_stores();

  // Runs fn on the reactor (as a node's code would run), then settles.
  void run(std::function<void()> fn);
  // Runs everything that is ready, timers due now included, until nothing is.
  void settle();
  // Settles until *slot is set (storage threads may still answer: waits for them, bounded);
  // `what` names it in the Failure when it never comes.
  template <class T>
  T await(const std::shared_ptr<std::optional<T>>& slot, const std::string& what) {
    until([&] { return slot->has_value(); }, what);
    return std::move(**slot);
  }
  // Settles until done() holds (storage threads may still bring it: waits for them, bounded);
  // Failure naming `what` when it cannot come.
  void until(const std::function<bool()>& done, const std::string& what);
  // Moves the held clock forward by d, firing the timers and store deadlines on the way in order.
  void advance(std::chrono::milliseconds d);
  // A harness timer: fn runs when the clock reaches now + delay (delay 0: at the next settle).
  void after(std::chrono::milliseconds delay, std::function<void()> fn);

  net::ReactorSet reactors{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
  pubsub::LocalPubSub pubsub{reactors};
  presence::Tracker tracker{reactors, pubsub, 1, std::chrono::milliseconds(0)};
  std::filesystem::path dir;  // the SQLite file's directory (empty: in memory)
  std::unique_ptr<Storage> storage;
  StoreLimits limits;
  std::vector<StoreKind> kinds;
  std::unique_ptr<store::LocalStores> stores;
  bool stores_used = false;
  TokenSigner signer;

 private:
  void make_stores();
  std::size_t fire_due();

  std::multimap<std::pair<store::Clock::time_point, std::uint64_t>, std::function<void()>> timers_;
  std::uint64_t timer_seq_ = 0;
};

// Joins "a", "b" as `"a", "b"` for messages.
std::string in_quotes(std::string_view text);

}  // namespace cohort::testing
