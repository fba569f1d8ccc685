// loopback_client.hpp — a blocking-style TCP client for tests of a real node on 127.0.0.1:
// every read has a deadline (an async read run for kDeadline), raw HTTP requests and replies,
// and the WebSocket frames the node sends (net/ws_frame.hpp's reader). Test code only.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "net/ws_frame.hpp"

namespace cohort::test_support {

namespace asio = boost::asio;
namespace ws = net::ws;
using asio::ip::tcp;
inline constexpr std::chrono::seconds kDeadline{5};

// A blocking-style TCP client whose every read has a deadline (async op + run_for).
class Client {
 public:
  explicit Client(std::uint16_t port) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  void write(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes.data(), bytes.size())); }

  // Reads what is available (at least one byte); returns empty at EOF; throws on timeout.
  std::string read_some() {
    char buf[16 * 1024];
    boost::system::error_code result;
    std::size_t got = 0;
    bool done = false;
    socket_.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
      result = ec;
      got = n;
      done = true;
    });
    io_.restart();
    io_.run_for(kDeadline);
    if (!done) {
      socket_.cancel();
      io_.restart();
      io_.run();
      throw std::runtime_error("no bytes from the server within the deadline");
    }
    if (result == asio::error::eof || result == asio::error::connection_reset) return {};
    if (result) throw boost::system::system_error(result);
    return std::string(buf, got);
  }

  // Everything until the server closes the connection.
  std::string read_to_eof() {
    std::string all;
    for (std::string chunk; !(chunk = read_some()).empty();) all += chunk;
    return all;
  }

  // An HTTP response head (up to and including the blank line); extra bytes stay in pending_.
  std::string read_head() {
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      std::string chunk = read_some();
      if (chunk.empty()) throw std::runtime_error("connection closed before the response head ended");
      pending_ += chunk;
    }
    std::string head = pending_.substr(0, end + 4);
    pending_.erase(0, end + 4);
    return head;
  }

  // The next WebSocket message or control frame from the server (unmasked frames).
  std::pair<ws::Opcode, std::string> read_frame() {
    while (sink_.events.empty()) {
      std::string chunk = pending_.empty() ? read_some() : std::exchange(pending_, {});
      if (chunk.empty()) throw std::runtime_error("connection closed while waiting for a frame");
      if (!reader_.feed(reinterpret_cast<std::uint8_t*>(chunk.data()), chunk.size(), sink_))
        throw std::runtime_error("bad frame from the server: " + std::string(reader_.error().reason));
    }
    auto e = sink_.events.front();
    sink_.events.pop_front();
    return e;
  }

 private:
  struct Sink : ws::FrameSink {
    void on_message(ws::Opcode op, std::string_view p) override { events.emplace_back(op, std::string(p)); }
    void on_control(ws::Opcode op, std::string_view p) override { events.emplace_back(op, std::string(p)); }
    std::deque<std::pair<ws::Opcode, std::string>> events;
  };

  asio::io_context io_;
  tcp::socket socket_{io_};
  std::string pending_;
  ws::FrameReader reader_{1 << 20, false};
  Sink sink_;
};

struct HttpReply {
  unsigned status = 0;
  std::string head;
  std::string body;
};

inline HttpReply http_get(std::uint16_t port, std::string_view target, std::string_view method = "GET") {
  Client c(port);
  c.write(std::string(method) + " " + std::string(target) +
          " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  std::string all = c.read_to_eof();
  HttpReply r;
  auto end = all.find("\r\n\r\n");
  if (all.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) throw std::runtime_error("not HTTP: " + all);
  r.status = static_cast<unsigned>(std::stoi(all.substr(9, 3)));
  r.head = all.substr(0, end + 4);
  r.body = all.substr(end + 4);
  return r;
}

// A header's value from a response head (case-insensitive name), or empty.
inline std::string header(const std::string& head, std::string name) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string h = lower(head);
  auto pos = h.find("\r\n" + lower(name) + ":");
  if (pos == std::string::npos) return {};
  pos += name.size() + 3;
  auto end = head.find("\r\n", pos);
  std::string value = head.substr(pos, end - pos);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

}  // namespace cohort::test_support
