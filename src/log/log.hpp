// log.hpp — the node's log: one structured line per event, by category and level.
//
// Owns: the categories and levels, the per-category thresholds, the line formats (text for
// people, JSON for collectors: log/line.hpp), where lines go (stderr or a file reopened on
// SIGHUP) and the rate limit of event kinds a client can provoke (Throttled). Every line a
// serving node writes goes through event(); nothing in src/ prints to stderr by itself.
//
//   log::event(log::Category::cluster, log::Level::info, "member_joined", {{"node_id", id}});
//
// Cost: event() is inline; when the category's threshold is above the level it is one relaxed
// atomic load and a branch, before any formatting. Fields hold views and numbers only, so
// building them allocates nothing; an argument that costs something to compute (a clipped
// topic, a redacted URL) is computed behind `if (log::enabled(...))`.
// Threads: every function here is any-thread. A line is formatted on the calling thread, then
// queued to spdlog's async logger (one worker thread, bounded queue, overrun_oldest): a
// reactor never waits for the disk. A line pushed out of a full queue is counted (dropped()).
// It must never block a caller on I/O, throw, or let a field start a line of its own (values
// are escaped).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <boost/json/fwd.hpp>

namespace cohort::log {

// What a line is about. `access` is the access log (--access-log): on or off, apart from the
// levels; the others follow --log-level and --log-levels.
enum class Category : std::uint8_t { node, net, channels, presence, live, store, storage, cluster, access, count_ };
inline constexpr std::size_t kCategories = static_cast<std::size_t>(Category::count_);

enum class Level : std::uint8_t { trace, debug, info, warn, error, off };

std::string_view name_of(Category c);
std::string_view name_of(Level l);
// "info" -> Level::info; nothing for an unknown name.
std::optional<Level> parse_level(std::string_view text);
std::optional<Category> parse_category(std::string_view text);

// The threshold of each category (access excluded: it has its own switch).
using Thresholds = std::array<Level, kCategories>;
// --log-levels "net=debug,cluster=warn" applied over thresholds; an error message names the
// unknown category or level (the node refuses to start with it).
std::optional<std::string> parse_levels(std::string_view text, Thresholds& thresholds);

// One field of a line: a name and a value that is viewed, not copied (it must outlive the
// event() call, which any argument of the call does).
struct Field {
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool, const boost::json::value*>;
  std::string_view key;
  Value value;

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  Field(std::string_view k, T v)
      : key(k), value(std::is_signed_v<T> ? Value(static_cast<std::int64_t>(v)) : Value(static_cast<std::uint64_t>(v))) {}
  // A nested JSON value (the effective settings at start): an object in JSON, its text in text.
  Field(std::string_view k, const boost::json::value& v) : key(k), value(&v) {}
};
using Fields = std::initializer_list<Field>;

namespace detail {
extern std::array<std::atomic<std::uint8_t>, kCategories> thresholds;
void write(Category c, Level l, std::string_view event, Fields fields);
}  // namespace detail

// Whether a line of this category and level would be written. One relaxed load.
inline bool enabled(Category c, Level l) {
  return static_cast<std::uint8_t>(l) >= detail::thresholds[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
}
// Whether the access log is on: the one branch an HTTP request or a WebSocket pays for it.
inline bool access_on() { return enabled(Category::access, Level::info); }

// Writes one line when enabled(c, l).
inline void event(Category c, Level l, std::string_view name, Fields fields = {}) {
  if (enabled(c, l)) detail::write(c, l, name, fields);
}

// How the log is set up (Config's log_* settings, node.cpp).
struct Options {
  enum class Format { text, json } format = Format::text;
  Thresholds thresholds{};  // filled by thresholds_of()
  bool access = false;      // the access log
  std::string file;         // empty: stderr
  std::uint32_t limit_per_s = 10;  // lines per second of one Throttled event kind
  std::string node;         // the `node` of every JSON line; empty: the host name
};
std::optional<Options::Format> parse_format(std::string_view text);
// Every category at level, then the --log-levels overrides. An error names what is wrong.
std::optional<std::string> thresholds_of(std::string_view level, std::string_view levels, Thresholds& out);

// Applies options (any time; later lines follow them). Error: the log file cannot be opened
// (the previous destination stays).
std::optional<std::string> configure(const Options& options);
// The node name lines carry from now on (a cluster node learns its id after configure()).
void set_node(std::string name);
// The host name: the default node name.
std::string host_name();
// Reopens the log file (SIGHUP, after logrotate moved it): the worker thread closes the old file
// and opens (creates, 0640) the path again before it writes the next line. Async-signal-unsafe
// but any-thread and non-blocking. A no-op when logging to stderr.
void reopen();
// Lines the async queue dropped because it was full (oldest first), since the process started.
std::uint64_t dropped();
// Waits (at most 2 s) until every line queued before the call is written. Called at exit
// (atexit), so the last lines of a stopping node reach the file.
void drain();

// An event kind a client can provoke (a limit refusal, a slow-consumer close): at most
// Options::limit_per_s lines of it per one-second window; at each window's end, if lines were
// left out, one line `lines_suppressed` says how many (fields of_event, of_kind, count).
// The windows are the log's one-second ticks (a thread of the log), the counting is two relaxed
// atomics: any-thread. A Throttled must live for good (it registers itself with the ticker,
// which walks them until the process ends): make one with throttled() below, or allocate it
// and never free it.
class RateWindow {
 public:
  // True: log this one. False: it is counted as suppressed.
  bool admit(std::uint32_t limit) {
    if (count_.fetch_add(1, std::memory_order_relaxed) < limit) return true;
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // Ends the window: returns how many were suppressed in it.
  std::uint64_t roll() {
    count_.store(0, std::memory_order_relaxed);
    return suppressed_.exchange(0, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint32_t> count_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

class Throttled {
 public:
  Throttled(Category c, Level l, std::string_view event, std::string_view kind = {});
  Throttled(const Throttled&) = delete;
  Throttled& operator=(const Throttled&) = delete;

  void event(Fields fields) {
    if (enabled(category_, level_) && admitted()) detail::write(category_, level_, event_, fields);
  }
  // The ticker's end of a window (log.cpp).
  void roll();
  Throttled* next() const { return next_; }

 private:
  bool admitted();

  Category category_;
  Level level_;
  std::string_view event_;
  std::string_view kind_;
  RateWindow window_;
  Throttled* next_ = nullptr;
};

// A Throttled that lives for good, for a function-local static at the one place that logs the
// event:  static log::Throttled& line = log::throttled(Category::live, Level::error, "view_crashed");
// event and kind must be string literals (or otherwise live for good).
Throttled& throttled(Category c, Level l, std::string_view event, std::string_view kind = {});

}  // namespace cohort::log
