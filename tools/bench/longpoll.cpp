// longpoll.cpp — `cohort-bench longpoll`: echo over Phoenix's LongPoll transport. C clients,
// each on its own topic (<prefix>echo-<i>, as echo), push "ping" in a closed loop; each reply
// comes back in the answer to the client's poll. A client behaves as phoenix.js does: a poll
// (GET <socket>/longpoll) is always outstanding on one keep-alive connection, pushes go as POSTs
// on another, and the session token the first poll hands out is sent with each request.
//
// The URL is the WebSocket one (--url, as for echo) with /websocket changed to /longpoll and
// ws:// to http://, so `echo` and `longpoll` compare the two transports against one node. Round
// trips are counted, and timed from the POST leaving to the reply arriving in a poll's answer,
// only between the start of the measured phase and its deadline.
//
// Threads: --threads event loops (io_contexts), each owning its clients; the controller thread
// waits for the joins, sets the deadline, sleeps the duration and reads the figures once the
// loops have stopped. Plain HTTP only (no TLS), loopback only (ws_url.hpp).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_clock.hpp"
#include "cpu_usage.hpp"
#include "modes.hpp"
#include "report.hpp"
#include "stats.hpp"

namespace cohort::bench {

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using Awaitable = asio::awaitable<void>;

// What the clients of all loops share with the controller. Written by the loops: joined and
// failed (atomics); read by them: the phase's bounds (set once before any client measures).
struct Run {
  std::atomic<unsigned> joined{0};
  std::atomic<unsigned> failed{0};
  std::atomic<std::uint64_t> start_ns{UINT64_MAX};  // measuring starts: UINT64_MAX until all joined
  std::atomic<std::uint64_t> deadline_ns{UINT64_MAX};
  std::mutex mutex;          // first_error
  std::string first_error;
  void fail(const std::string& why) {
    std::lock_guard lock(mutex);
    if (first_error.empty()) first_error = why;
    failed.fetch_add(1);
  }
};

// What one loop measured (its thread only, read after it stopped).
struct LoopFigures {
  LatencyHistogram latency;
  std::uint64_t round_trips = 0;
  std::uint64_t errors = 0;  // replies whose status was not "ok"
};

struct Endpoint {
  std::string address;
  std::uint16_t port;
  std::string host;  // Host header
  std::string path;  // <socket>/longpoll
};

// One request on a keep-alive connection; the answer's body.
asio::awaitable<std::string> request(tcp::socket& socket, boost::beast::flat_buffer& buffer, http::verb verb,
                                     const Endpoint& at, const std::string& target, std::string body) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, at.host);
  req.set(http::field::accept, "application/json");
  if (verb == http::verb::post) req.set(http::field::content_type, "application/x-ndjson");
  req.body() = std::move(body);
  req.prepare_payload();
  co_await http::async_write(socket, req, asio::use_awaitable);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  co_await http::async_read(socket, buffer, parser, asio::use_awaitable);
  co_return parser.release().body();
}

// One LongPoll client: its two connections, its session, its ping in flight.
class Client {
 public:
  Client(asio::io_context& io, const Endpoint& at, Run& run, LoopFigures& figures, std::string topic)
      : at_(at), run_(run), figures_(figures), topic_(std::move(topic)), poll_(io), post_(io), replied_(io) {}

  Awaitable start() {
    try {
      co_await connect(poll_);
      co_await connect(post_);
      auto opened = boost::json::parse(co_await request(poll_, poll_buf_, http::verb::get, at_, url(""), ""));
      token_ = std::string(opened.at("token").as_string());
      co_await send(R"(["1","1",")" + topic_ + R"(","phx_join",{}])");
      asio::co_spawn(poll_.get_executor(), poll_loop(), asio::detached);
      co_await wait_reply();
      if (!joined_) throw std::runtime_error("join refused on " + topic_);
      run_.joined.fetch_add(1);
      co_await ping_loop();
    } catch (const std::exception& e) {
      if (!stopping_) run_.fail(topic_ + ": " + e.what());
    }
  }

  void stop() {
    stopping_ = true;
    boost::system::error_code ec;
    poll_.close(ec);
    post_.close(ec);
    replied_.cancel();
  }

 private:
  std::string url(const std::string& token) const { return at_.path + "?vsn=2.0.0&token=" + token; }

  Awaitable connect(tcp::socket& socket) {
    co_await socket.async_connect({asio::ip::make_address(at_.address), at_.port}, asio::use_awaitable);
    socket.set_option(tcp::no_delay(true));
  }

  Awaitable send(std::string frame) {
    auto answer = boost::json::parse(co_await request(post_, post_buf_, http::verb::post, at_, url(token_), std::move(frame)));
    if (answer.at("status").to_number<int>() != 200) throw std::runtime_error("POST answered " + boost::json::serialize(answer));
  }

  // The outstanding poll, for the client's whole life: each answer's messages are looked at.
  Awaitable poll_loop() {
    try {
      while (!stopping_) {
        auto answer = boost::json::parse(co_await request(poll_, poll_buf_, http::verb::get, at_, url(token_), ""));
        int status = answer.at("status").to_number<int>();
        if (status != 200 && status != 204) throw std::runtime_error("poll answered " + std::to_string(status));
        for (const auto& m : answer.at("messages").as_array()) on_message(boost::json::parse(m.as_string()));
      }
    } catch (const std::exception& e) {
      if (!stopping_) run_.fail(topic_ + " poll: " + e.what());
      poll_failed_ = true;
      replied_.cancel();
    }
  }

  // [join_ref, ref, topic, "phx_reply", {status, response}]: the reply to the ping (or join) in flight.
  void on_message(const boost::json::value& frame) {
    const auto& f = frame.as_array();
    if (f.size() != 5 || f[3] != "phx_reply" || !f[1].is_string() || f[1].as_string() != std::to_string(ref_)) return;
    bool ok = f[4].at("status") == "ok";
    if (ref_ == 1) joined_ = ok;
    else record(ok);
    reply_arrived_ = true;  // it may come before the POST's own answer: wait_reply() sees the flag
    replied_.cancel();
  }

  void record(bool ok) {
    std::uint64_t now = steady_ns();
    if (sent_ns_ < run_.start_ns.load(std::memory_order_relaxed) || now > run_.deadline_ns.load(std::memory_order_relaxed)) return;
    if (!ok) ++figures_.errors;
    figures_.latency.record(now - sent_ns_);
    ++figures_.round_trips;
  }

  // Until the reply in flight has arrived (or the client stops, or its poll failed).
  Awaitable wait_reply() {
    while (!reply_arrived_ && !stopping_ && !poll_failed_) {
      replied_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await replied_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!reply_arrived_) throw std::runtime_error("stopped");
    reply_arrived_ = false;
  }

  Awaitable ping_loop() {
    while (!stopping_ && steady_ns() < run_.deadline_ns.load(std::memory_order_relaxed)) {
      ++ref_;
      sent_ns_ = steady_ns();
      co_await send("[\"1\",\"" + std::to_string(ref_) + "\",\"" + topic_ + "\",\"ping\",{\"n\":" + std::to_string(ref_) + "}]");
      co_await wait_reply();
    }
  }

  const Endpoint& at_;
  Run& run_;
  LoopFigures& figures_;
  std::string topic_;
  tcp::socket poll_, post_;
  boost::beast::flat_buffer poll_buf_, post_buf_;
  asio::steady_timer replied_;  // cancelled when the reply in flight arrives
  std::string token_;
  std::uint64_t ref_ = 1;  // 1: the join
  std::uint64_t sent_ns_ = 0;
  bool joined_ = false;
  bool reply_arrived_ = false;
  bool poll_failed_ = false;
  bool stopping_ = false;
};

// ws://host:port/socket/websocket?... → the LongPoll endpoint of the same socket.
Endpoint endpoint_of(const WsTarget& target) {
  std::string path = target.target.substr(0, target.target.find('?'));
  if (path.ends_with("/websocket")) path.resize(path.size() - std::string_view("/websocket").size());
  return Endpoint{target.address, target.port, target.host_header, path + "/longpoll"};
}

}  // namespace

int run_longpoll(const BenchOptions& opts) {
  if (opts.target.tls) return setup_failed("longpoll speaks plain HTTP only: give a ws:// --url");
  Endpoint at = endpoint_of(opts.target);
  std::printf("cohort-bench longpoll  http://%s%s  %u clients\n", at.host.c_str(), at.path.c_str(), opts.clients);
  std::fflush(stdout);
  Run run;
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<LoopFigures> figures(opts.threads);
  std::vector<std::vector<std::unique_ptr<Client>>> clients(opts.threads);
  for (unsigned i = 0; i < opts.threads; ++i) loops.push_back(std::make_unique<asio::io_context>(1));
  std::string prefix = opts.topic_prefix();
  for (unsigned c = 0; c < opts.clients; ++c) {
    unsigned t = c % opts.threads;
    clients[t].push_back(std::make_unique<Client>(*loops[t], at, run, figures[t], prefix + "echo-" + std::to_string(c)));
    asio::co_spawn(*loops[t], clients[t].back()->start(), asio::detached);
  }
  std::vector<std::thread> threads;
  for (auto& io : loops) threads.emplace_back([&io] { io->run(); });
  auto stop_all = [&] {
    for (unsigned t = 0; t < opts.threads; ++t)
      asio::post(*loops[t], [&clients, t] {
        for (auto& c : clients[t]) c->stop();
      });
    for (auto& th : threads) th.join();
  };

  std::uint64_t t0 = steady_ns();
  auto setup_deadline = t0 + static_cast<std::uint64_t>(opts.setup_timeout_s * 1e9);
  while (run.joined.load() + run.failed.load() < opts.clients && steady_ns() < setup_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the controller looks at the count every 5 ms
  if (run.joined.load() < opts.clients) {
    stop_all();
    return setup_failed(std::to_string(run.joined.load()) + " of " + std::to_string(opts.clients) + " clients joined" +
                        (run.first_error.empty() ? "" : " (first failure: " + run.first_error + ")"));
  }
  double setup_s = ns_to_s(steady_ns() - t0);

  CpuSnapshot cpu_before = cpu_snapshot(opts.server_pid);
  std::uint64_t start = steady_ns();
  std::uint64_t deadline = start + static_cast<std::uint64_t>(opts.duration_s * 1e9);
  run.deadline_ns = deadline;
  run.start_ns = start;
  std::this_thread::sleep_for(std::chrono::nanoseconds(deadline - steady_ns()));
  CpuUsage cpu = cpu_between(cpu_before, cpu_snapshot(opts.server_pid));
  unsigned failed_during = run.failed.load();
  stop_all();

  LatencyHistogram latency;
  std::uint64_t round_trips = 0, errors = 0;
  for (const auto& f : figures) {
    latency.merge(f.latency);
    round_trips += f.round_trips;
    errors += f.errors;
  }
  double seconds = ns_to_s(deadline - start);
  Report report("longpoll");
  report_round_trips(report, RoundTrips{opts.clients, opts.threads, setup_s, seconds, round_trips, errors}, latency);
  report_cpu(report, cpu);
  report_bench_memory(report);
  report.figure("dropped_connections", failed_during, "clients failed",
                with_commas(failed_during) + (failed_during ? " (first: " + run.first_error + ")" : ""));
  report.print();
  return run_finished(failed_during, run.first_error);
}

}  // namespace cohort::bench
