// reactor.hpp — one event-loop thread (an io_context) and the set of them that is a node.
//
// Owns: the reactor threads, each with its own io_context, and the per-reactor scratch read
// buffer. Shared nothing: a connection and everything it owns live on one reactor for life.
// The one way to reach another reactor is post() (fire-and-forget, any-thread); there is no
// blocking cross-reactor call. current() tells code which reactor it runs on.
#pragma once

#include <array>
#include <chrono>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

namespace cohort::net {

namespace asio = boost::asio;

class Reactor {
 public:
  // Reads of every socket on this reactor go through this buffer, so idle sockets hold none.
  static constexpr std::size_t kReadBufferSize = 64 * 1024;

  explicit Reactor(unsigned index) : index_(index), read_buffer_(new std::uint8_t[kReadBufferSize]) {}

  unsigned index() const { return index_; }
  asio::io_context& context() { return context_; }

  // Any-thread: run fn on this reactor, after what is already queued there.
  template <class Fn>
  void post(Fn&& fn) {
    asio::post(context_, std::forward<Fn>(fn));
  }

  // Owner-thread-only scratch buffer for socket reads.
  std::uint8_t* read_buffer() { return read_buffer_.get(); }

  // The reactor running the calling thread, or null off the reactors.
  static Reactor* current();

  void run();  // runs the loop on the calling thread until stop()
  // A test harness's reactor (cohort/testing.hpp) runs on the test's own thread, a step at a
  // time: poll() runs every handler that is ready (the caller is this reactor's thread
  // meanwhile) and returns how many ran; run_one_for() runs one, waiting for it at most `wait`
  // (0: none came). Both need a work guard on the context (else it stops when it runs dry).
  std::size_t poll();
  std::size_t run_one_for(std::chrono::milliseconds wait);
  void stop() { context_.stop(); }

 private:
  unsigned index_;
  // Not concurrency hint 1: with it Asio queues a post made from the reactor's own thread in a
  // thread-private queue that joins the shared one only when the running handler returns, so a
  // post from another reactor made in between would overtake it and reorder broadcasts.
  asio::io_context context_;
  std::unique_ptr<std::uint8_t[]> read_buffer_;
};

// The node's reactors and their threads.
class ReactorSet {
 public:
  explicit ReactorSet(unsigned count);
  ~ReactorSet();

  unsigned size() const { return static_cast<unsigned>(reactors_.size()); }
  Reactor& at(unsigned i) { return *reactors_[i]; }

  void start();  // one thread per reactor, each kept alive by a work guard
  void release();  // drop the work guards: each loop ends when it runs out of work
  void stop();   // stop every loop now
  void join();

 private:
  std::vector<std::unique_ptr<Reactor>> reactors_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace cohort::net

namespace cohort::net {

// The reactor that owns a key (a presence topic, a store key): the one place keys are mapped
// to reactors, so every caller agrees on the owner.
inline unsigned owner_of(std::string_view key, unsigned reactor_count) {
  return static_cast<unsigned>(std::hash<std::string_view>{}(key) % reactor_count);
}

}  // namespace cohort::net
