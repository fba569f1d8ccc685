// redis_link.hpp — one hiredis connection to Redis, driven by one reactor, reconnecting forever.
//
// Owns: a hiredis async context (hiredis 0.14, Debian's libhiredis) whose socket events are
// watched with an asio::posix::stream_descriptor on the link's reactor (our own adapter for
// hiredis's ev hooks), the reconnect timer and the counters. Never blocks: connect, writes and
// reads are all readiness-driven; a command while the link is down fails at once (false).
//
// Threads: owner-thread-only — every method, and every callback it makes (replies, messages,
// up/down), runs on the reactor given at construction. Other threads reach it with
// Reactor::post. Destroy it on that reactor or after the reactors stopped.
//
// Failure: when the connection drops (Redis gone, restarted, network), every pending reply
// handler is called with Kind::lost, on_down fires once, and the link reconnects after a
// backoff that doubles from backoff_min to backoff_max. A connect that does not complete in
// connect_timeout (with its AUTH answered, when there is one) is abandoned and retried. More than max_pending unanswered commands: further
// commands are refused (false) until replies drain — Redis slower than we publish must cost
// memory only up to a bound.
//
// Credentials: with auth.password set, the link sends AUTH [user] password first on every
// connection it makes (reconnects included) and is up only once Redis accepted it; a refusal
// is reported to on_refused (Redis's reason, never the password) and the connection is
// dropped and retried like any other failure.
//
// Use for the store lease work: command({"SET", key, token, "NX", "PX", ms}, h),
// command({"INCR", fence_key}, h), command({"EVAL", script, "1", key, arg}, h) — any command
// with a reply; SUBSCRIBE only on a link constructed with Mode::subscriber.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "net/reactor.hpp"

struct redisAsyncContext;
struct redisReply;

namespace cohort::cluster {

// A Redis reply, owned. lost = no reply will come (the connection dropped or the link stopped).
struct RedisValue {
  enum class Kind { nil, status, error, integer, string, array, lost };
  Kind kind = Kind::nil;
  long long integer = 0;
  std::string str;  // status, error and string replies
  std::vector<RedisValue> elements;

  bool failed() const { return kind == Kind::error || kind == Kind::lost; }
  static RedisValue from(const redisReply* reply);  // null → lost
};

struct RedisAddress {
  std::string host;  // an IP address (resolve names before: hiredis would block on DNS)
  std::uint16_t port = 6379;
};

// Who the node is to Redis: a Redis 6 ACL user and its password, or a password alone (the
// `default` user, requirepass). No password: no AUTH.
struct RedisAuth {
  std::string user;
  std::string password;
};

class RedisLink {
 public:
  enum class Mode { command, subscriber };
  struct Options {
    RedisAddress address;
    RedisAuth auth{};  // no password: no AUTH
    Mode mode = Mode::command;
    std::chrono::milliseconds backoff_min{50};    // first retry soon: a blip heals fast
    std::chrono::milliseconds backoff_max{1000};  // then at most once a second per link
    std::chrono::milliseconds connect_timeout{1000};
    std::size_t max_pending = 100000;  // unanswered commands (about 10 MB of small PUBLISHes)
  };
  using ReplyHandler = std::function<void(const RedisValue&)>;
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;

  RedisLink(net::Reactor& reactor, Options options);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void on_up(std::function<void()> fn) { on_up_ = std::move(fn); }
  void on_down(std::function<void()> fn) { on_down_ = std::move(fn); }
  // Subscriber mode: every "message" pushed by Redis.
  void on_message(MessageHandler fn) { on_message_ = std::move(fn); }
  // Subscriber mode: Redis's confirmation of each channel of a SUBSCRIBE (from then on the
  // channel's messages reach this link).
  void on_subscribed(std::function<void(std::string_view channel)> fn) { on_subscribed_ = std::move(fn); }
  // Redis refused the link's AUTH: its error reply (the link retries after the backoff).
  void on_refused(std::function<void(std::string_view reason)> fn) { on_refused_ = std::move(fn); }

  void start();  // first connect attempt
  void stop();   // disconnect; no reconnect, no more callbacks

  bool connected() const { return connected_; }
  // Sends a command; handler (may be empty) gets its reply. false: not sent (link down or too
  // many pending); the handler is then not called — and it was consumed all the same, so a
  // caller that wants to run it on refusal keeps its own copy.
  bool command(std::span<const std::string_view> args, ReplyHandler handler = {});
  bool command(std::initializer_list<std::string_view> args, ReplyHandler handler = {}) {
    return command(std::span<const std::string_view>(args.begin(), args.size()), std::move(handler));
  }
  // Subscriber mode: SUBSCRIBE / UNSUBSCRIBE channels (messages go to on_message).
  bool subscribe(std::span<const std::string> channels, bool on);

  struct Counters {
    std::uint64_t connects = 0;      // successful connects
    std::uint64_t disconnects = 0;   // connections lost after being up
    std::uint64_t refused = 0;       // commands refused (down or over max_pending)
    std::uint64_t reply_errors = 0;  // error replies to commands without a handler
    std::uint64_t auth_refused = 0;  // connections whose AUTH Redis refused
  };
  const Counters& counters() const { return counters_; }

  struct Watch;  // the hiredis event adapter (redis_link.cpp)

 private:
  void do_connect();
  void on_connect(int status);
  void send_auth();
  void on_auth(const redisReply* reply);
  void become_up();
  void arm_connect_timeout(redisAsyncContext* ac);
  void on_disconnect();
  void schedule_reconnect();
  void on_push(redisReply* reply);
  bool send_argv(std::span<const std::string_view> args, void (*fn)(redisAsyncContext*, void*, void*), void* priv);

  static void connect_cb(const redisAsyncContext* ac, int status);
  static void disconnect_cb(const redisAsyncContext* ac, int status);
  static void reply_cb(redisAsyncContext* ac, void* reply, void* priv);
  static void push_cb(redisAsyncContext* ac, void* reply, void* priv);
  static void auth_cb(redisAsyncContext* ac, void* reply, void* priv);

  net::Reactor& reactor_;
  Options options_;
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<Watch> watch_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::milliseconds backoff_;
  bool connected_ = false;
  bool stopped_ = true;
  std::size_t pending_ = 0;
  Counters counters_;
  std::function<void()> on_up_, on_down_;
  MessageHandler on_message_;
  std::function<void(std::string_view)> on_subscribed_;
  std::function<void(std::string_view)> on_refused_;
};

}  // namespace cohort::cluster
