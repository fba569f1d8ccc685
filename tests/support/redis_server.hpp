// redis_server.hpp — a redis-server child process of a test's own, on a free loopback port:
// started (and waited for until it answers PING, with a deadline), stopped (SIGKILL) and
// started again on the same port, stopped at the end. No data is saved to disk. And
// RedisClient, a blocking connection for the test thread to look at (or change) what Redis holds.
#pragma once

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cohort::test_support {

// A loopback port nobody listens on now.
inline std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

// A redis-server child on port; the constructor returns once it answers PING.
class RedisServer {
 public:
  static constexpr auto kStartDeadline = std::chrono::seconds(5);

  explicit RedisServer(std::uint16_t port, std::vector<std::string> extra = {}) : port_(port), extra_(std::move(extra)) {
    start();
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }

  void start() {
    std::vector<std::string> args{"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--loglevel", "warning"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_WRONLY);  // its start-up banner is not test output
      dup2(null, 1);
      dup2(null, 2);
      execvp("redis-server", argv.data());
      _exit(127);
    }
    // Poll until it answers: the condition ends the wait, the deadline bounds it.
    auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
      redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, timeval{0, 200000});
      bool ok = c && !c->err;
      if (c) redisFree(c);
      if (ok) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) throw std::runtime_error("redis-server exited (is it installed?)");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("redis-server did not start within the deadline");
  }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::uint16_t port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

// A blocking hiredis connection, for the test thread only (never on a reactor).
class RedisClient {
 public:
  explicit RedisClient(std::uint16_t port) : c_(redisConnectWithTimeout("127.0.0.1", port, timeval{2, 0})) {
    if (!c_ || c_->err) throw std::runtime_error("cannot connect to the test's redis-server");
    redisSetTimeout(c_, timeval{2, 0});
  }
  ~RedisClient() { redisFree(c_); }
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // A string reply ("" for nil; "(error) ..." for an error).
  std::string text(const std::vector<std::string>& args) {
    redisReply* r = run(args);
    std::string out;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) out.assign(r->str, r->len);
    else if (r->type == REDIS_REPLY_ERROR) out = "(error) " + std::string(r->str, r->len);
    freeReplyObject(r);
    return out;
  }
  // An integer reply (throws on anything else).
  long long integer(const std::vector<std::string>& args) {
    redisReply* r = run(args);
    bool ok = r->type == REDIS_REPLY_INTEGER;
    long long out = r->integer;
    freeReplyObject(r);
    if (!ok) throw std::runtime_error("redis: not an integer reply to " + args.front());
    return out;
  }

 private:
  redisReply* run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) argv.push_back(a.data()), lens.push_back(a.size());
    auto* r = static_cast<redisReply*>(redisCommandArgv(c_, static_cast<int>(args.size()), argv.data(), lens.data()));
    if (!r) throw std::runtime_error("redis: no reply to " + args.front());
    return r;
  }
  redisContext* c_;
};

}  // namespace cohort::test_support
