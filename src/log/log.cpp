// log.cpp — where lines go: spdlog's async logger over a sink of our own, and the ticker that
// ends the windows of throttled event kinds.
//
// Owns: the process's one log (created at first use, never destroyed: a line logged while
// statics are destroyed still has somewhere to go), its worker thread (spdlog's thread pool of
// one, a bounded queue, overrun_oldest), the destination (stderr, or a file opened O_APPEND with
// mode 0640 and reopened on request), the node name, and the ticker thread (one wake-up per
// second). Lock story: thresholds, format and limit are atomics read by any thread; the node
// name is an atomic shared_ptr; the destination belongs to the sink, under the sink's mutex
// (held by the worker while it writes a line, and by configure() to switch files). reopen()
// only sets a flag and queues a flush: the worker reopens. spdlog stays in this file.
#include "log/log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/base_sink.h>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "log/line.hpp"

namespace cohort::log {

namespace detail {
// Constant-initialized (before any static constructor may log): info, and the access log off.
constexpr std::uint8_t kInfo = static_cast<std::uint8_t>(Level::info), kOff = static_cast<std::uint8_t>(Level::off);
std::array<std::atomic<std::uint8_t>, kCategories> thresholds = {
    {{kInfo}, {kInfo}, {kInfo}, {kInfo}, {kInfo}, {kInfo}, {kInfo}, {kInfo}, {kOff}}};
static_assert(kCategories == 9, "one initial threshold per category");
}  // namespace detail

namespace {

// Lines queued for the worker before the oldest are dropped: a few MB at most.
constexpr std::size_t kQueueLines = 8192;

// Writes each line (the message's payload, already formatted) with one write(2) to stderr or a
// file. Runs on the worker thread, under base_sink's mutex.
class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~FdSink() override { close_file(); }

  // Switches to path (empty: stderr). Error: the file cannot be opened; nothing changes then.
  std::optional<std::string> target(const std::string& path) {
    int fd = STDERR_FILENO;
    if (!path.empty()) {
      fd = open_file(path);
      if (fd < 0) return "cannot open log file " + path + ": " + std::strerror(errno);
    }
    std::lock_guard lock(mutex_);
    close_file();
    fd_ = fd;
    path_ = path;
    return std::nullopt;
  }
  void want_reopen() { reopen_.store(true, std::memory_order_release); }
  // Waits (at most `limit`) until the worker has handled a flush queued after `seen` flushes.
  std::uint64_t flushes() const { return flushes_.load(std::memory_order_acquire); }
  void wait_flush_after(std::uint64_t seen, std::chrono::milliseconds limit) {
    std::unique_lock lock(flush_mutex_);
    flushed_.wait_for(lock, limit, [&] { return flushes() > seen; });
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    reopen_if_wanted();
    std::string line(msg.payload.data(), msg.payload.size());
    line += '\n';
    write_all(line);
  }
  void flush_() override {
    reopen_if_wanted();
    {
      std::lock_guard lock(flush_mutex_);
      flushes_.fetch_add(1, std::memory_order_acq_rel);
    }
    flushed_.notify_all();
  }

 private:
  static int open_file(const std::string& path) {
    return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  }
  void close_file() {
    if (fd_ != STDERR_FILENO) ::close(fd_);
    fd_ = STDERR_FILENO;
  }
  void reopen_if_wanted() {
    if (!reopen_.exchange(false, std::memory_order_acq_rel) || path_.empty()) return;
    int fd = open_file(path_);
    if (fd < 0) return;  // keep writing to the old file rather than nowhere
    ::close(fd_);
    fd_ = fd;
  }
  void write_all(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::write(fd_, s.data(), s.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a full disk or a closed stderr: the line is lost, the node goes on
      s.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  int fd_ = STDERR_FILENO;
  std::string path_;
  std::atomic<bool> reopen_{false};
  std::atomic<std::uint64_t> flushes_{0};
  std::mutex flush_mutex_;
  std::condition_variable flushed_;
};

struct State {
  std::shared_ptr<FdSink> sink = std::make_shared<FdSink>();
  std::shared_ptr<spdlog::details::thread_pool> pool = std::make_shared<spdlog::details::thread_pool>(kQueueLines, 1);
  std::shared_ptr<spdlog::async_logger> logger =
      std::make_shared<spdlog::async_logger>("cohort", sink, pool, spdlog::async_overflow_policy::overrun_oldest);
  std::atomic<Options::Format> format{Options::Format::text};
  std::atomic<std::uint32_t> limit_per_s{10};
  std::atomic<std::shared_ptr<const std::string>> node{std::make_shared<const std::string>(host_name())};
  std::atomic<Throttled*> throttled{nullptr};  // every Throttled, for the ticker
  std::mutex tick_mutex;
  std::condition_variable tick_cv;

  State() {
    logger->set_level(spdlog::level::trace);  // the thresholds decide; spdlog passes everything
    std::thread([this] { tick(); }).detach();  // lives as long as the process, like the State
    std::atexit(drain);
  }

  // Ends a window of every Throttled once a second.
  [[noreturn]] void tick() {
    for (;;) {
      {
        std::unique_lock lock(tick_mutex);
        tick_cv.wait_for(lock, std::chrono::seconds(1));
      }
      for (Throttled* t = throttled.load(std::memory_order_acquire); t; t = t->next()) t->roll();
    }
  }
};

State& state() {
  static State* s = new State;  // never destroyed (see the file comment)
  return *s;
}

spdlog::level::level_enum spdlog_level(Level l) {
  switch (l) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: break;
  }
  return spdlog::level::off;
}

}  // namespace

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

void detail::write(Category c, Level l, std::string_view event, Fields fields) {
  State& s = state();
  const auto node = s.node.load(std::memory_order_acquire);
  std::string line = format_line(s.format.load(std::memory_order_relaxed), std::chrono::system_clock::now(), l, *node,
                                 c, event, fields);
  s.logger->log(spdlog_level(l), std::string_view(line));
}

std::optional<std::string> configure(const Options& options) {
  State& s = state();
  if (auto err = s.sink->target(options.file)) return err;
  s.format.store(options.format, std::memory_order_relaxed);
  s.limit_per_s.store(options.limit_per_s, std::memory_order_relaxed);
  set_node(options.node.empty() ? host_name() : options.node);
  for (std::size_t i = 0; i < kCategories; ++i)
    detail::thresholds[i].store(static_cast<std::uint8_t>(options.thresholds[i]), std::memory_order_relaxed);
  detail::thresholds[static_cast<std::size_t>(Category::access)].store(
      static_cast<std::uint8_t>(options.access ? Level::trace : Level::off), std::memory_order_relaxed);
  return std::nullopt;
}

void set_node(std::string name) {
  state().node.store(std::make_shared<const std::string>(std::move(name)), std::memory_order_release);
}

void reopen() {
  State& s = state();
  s.sink->want_reopen();
  s.logger->flush();  // queued behind the lines before it: the worker reopens, in order
}

std::uint64_t dropped() { return state().pool->overrun_counter(); }

void drain() {
  State& s = state();
  const std::uint64_t seen = s.sink->flushes();
  s.logger->flush();
  s.sink->wait_flush_after(seen, std::chrono::seconds(2));
}

// ---- Throttled -----------------------------------------------------------------------------

Throttled::Throttled(Category c, Level l, std::string_view event, std::string_view kind)
    : category_(c), level_(l), event_(event), kind_(kind) {
  auto& head = state().throttled;
  next_ = head.load(std::memory_order_relaxed);
  while (!head.compare_exchange_weak(next_, this, std::memory_order_release, std::memory_order_relaxed)) {
  }
}

Throttled& throttled(Category c, Level l, std::string_view event, std::string_view kind) {
  return *new Throttled(c, l, event, kind);  // never destroyed: the ticker holds it
}

bool Throttled::admitted() { return window_.admit(state().limit_per_s.load(std::memory_order_relaxed)); }

void Throttled::roll() {
  const std::uint64_t suppressed = window_.roll();
  if (suppressed == 0 || !enabled(category_, level_)) return;
  if (kind_.empty()) detail::write(category_, level_, "lines_suppressed", {{"of_event", event_}, {"count", suppressed}});
  else
    detail::write(category_, level_, "lines_suppressed",
                  {{"of_event", event_}, {"of_kind", kind_}, {"count", suppressed}});
}

}  // namespace cohort::log
