// listener.hpp — accepts TCP connections and deals them out to the reactors.
//
// Owns: one acceptor of the node (on reactor 0: the main one, and the admin and TLS redirect
// ones when configured) and the round-robin hand-off of each accepted
// socket to a reactor, which then owns it for life (the descriptor is posted, the session is
// created there). One acceptor, not one SO_REUSEPORT acceptor per reactor: with SO_REUSEPORT
// a second node of the same user can bind the same port (even one picked for port 0) and
// silently take half the connections. Enforces max_connections: a connection over the limit
// is answered 503 and closed; and on the main listener the per-address limits (Config::
// ip_max_connections, ip_connections_per_s; address_limits.hpp): a connection over them is
// answered 429 and closed before anything is read from it. Connections from a trusted proxy are
// counted later, under the client the proxy names, at their WebSocket upgrade. The admission's
// ticket goes with the socket to the reactor that owns it. Owner-thread-only, except stop()
// which posts to the owner.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>

#include "net/net_context.hpp"
#include "net/reactor.hpp"

namespace cohort::net {

// The HTTP 429 answer for a per-address refusal (counted in counters).
std::string_view refusal_for(AddressLimits::Verdict verdict, LimitCounters& counters, std::string_view client = {});

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // surface: what the connections of this listener are served (net_context.hpp).
  Listener(ReactorSet& reactors, NetContext& net, Surface surface = Surface::main);

  // Binds and listens; returns an error message on failure. Any thread, before start().
  std::optional<std::string> open(const boost::asio::ip::tcp::endpoint& endpoint);
  std::uint16_t port() const;

  void start();  // posts the first accept to the reactor
  void stop();   // any-thread: closes the acceptor on its reactor

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

  // The per-address refusal for a new connection (an HTTP response to write), or nothing and
  // the ticket of its slot.
  std::optional<std::string_view> admit_address(boost::asio::ip::tcp::socket& socket, AddressTicket& ticket);
  void refuse(boost::asio::ip::tcp::socket& socket, std::string_view response);
  void hand_off(boost::asio::ip::tcp::socket socket, AddressTicket ticket);

  ReactorSet& reactors_;
  Reactor& reactor_;  // where the acceptor runs: reactor 0
  NetContext& net_;
  Surface surface_;
  unsigned next_ = 0;  // the reactor that gets the next connection
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;  // backs off when the process is out of descriptors
};

}  // namespace cohort::net
