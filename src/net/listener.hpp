// listener.hpp — accepts TCP connections for one reactor.
//
// Owns: one acceptor per reactor, all bound to the same address with SO_REUSEPORT so the
// kernel spreads new connections over the reactors (no accept lock, no hand-off between
// threads). Enforces max_connections: a connection over the limit is answered 503 and closed.
// Owner-thread-only, except stop() which posts to the owner.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "net/net_context.hpp"
#include "net/reactor.hpp"

namespace cohort::net {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(Reactor& reactor, NetContext& net);

  // Binds and listens; returns an error message on failure. Any thread, before start().
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint);
  std::uint16_t port() const;

  void start();  // posts the first accept to the reactor
  void stop();   // any-thread: closes the acceptor on its reactor

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

  Reactor& reactor_;
  NetContext& net_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // backs off when the process is out of descriptors
};

}  // namespace cohort::net
