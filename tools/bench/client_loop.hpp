// client_loop.hpp — the bench's client threads: one io_context per thread, sharing nothing.
//
// Threads: the controller (main thread) drives a run; each ClientLoop is one thread with its own
// io_context, its connections, its 64 KB read buffer and its statistics. The controller reaches
// a loop only through ClientPool::run_on / run_on_all (posted, awaited) and by polling atomics
// that a loop alone writes. Connections are never freed while their loop runs: stop() closes
// them on their thread, joins the threads, then frees them (a safe point, no callback running).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "inflate_cache.hpp"

namespace cohort::bench {

class Connection;
class ConnectionEvents;

// Bytes read per read call: big reads keep the syscall count low at millions of frames per second.
inline constexpr std::size_t kReadBufferSize = 64 * 1024;

// One client thread's state. Owner-thread-only.
struct ClientLoop {
  explicit ClientLoop(unsigned index);
  ~ClientLoop();

  // A new connection owned by this loop; its slot is its position in conns.
  Connection& add_connection(std::uint32_t index, ConnectionEvents& events, std::size_t wake_size);
  std::uint64_t random64();  // xorshift: WebSocket keys and mask keys, not cryptographic

  const unsigned index;
  boost::asio::io_context io{1};
  std::vector<std::uint8_t> read_buffer;  // every connection of the loop reads into it in turn
  std::string scratch;                    // a frame's text while it is being built
  std::uint64_t now_ns = 0;               // steady time of the read being processed
  std::uint64_t bytes_in = 0;             // WebSocket bytes received by this loop's connections
  std::uint64_t deflate_conns = 0;        // connections that negotiated permessage-deflate
  InflateCache inflate_cache;             // compressed messages inflated once per distinct bytes
  std::vector<std::unique_ptr<Connection>> conns;
  std::optional<boost::asio::steady_timer> heartbeat;

 private:
  std::uint64_t rng_;
};

class ClientPool {
 public:
  explicit ClientPool(unsigned threads);
  ~ClientPool();  // stop()

  unsigned size() const { return static_cast<unsigned>(loops_.size()); }
  ClientLoop& loop(unsigned i) { return *loops_[i]; }

  // Runs fn on loop i's thread and waits for it to return. Controller-only.
  void run_on(unsigned i, const std::function<void(ClientLoop&)>& fn);
  // Runs fn on every loop (in parallel) and waits for all. Controller-only.
  void run_on_all(const std::function<void(ClientLoop&)>& fn);

  // Sends a Phoenix heartbeat on every open connection each `every` (Phoenix closes sockets
  // silent for 60 s; the JS client beats every 30 s). Controller-only.
  void start_heartbeats(std::chrono::seconds every);

  // Closes every connection, stops and joins the threads, frees the connections. Idempotent.
  void stop();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<ClientLoop>> loops_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

// Polls pred every 5 ms until it holds or timeout passes; returns its last value. Controller-only.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace cohort::bench
