// listener.cpp — per-reactor accept loop: see listener.hpp.
#include "net/listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/socket_base.hpp>
#include <cstdio>

#include "net/http_session.hpp"
#include "log/log.hpp"

namespace cohort::net {

using boost::system::error_code;
using asio::ip::tcp;

Listener::Listener(ReactorSet& reactors, NetContext& net, Surface surface)
    : reactors_(reactors), reactor_(reactors.at(0)), net_(net), surface_(surface), acceptor_(reactor_.context()),
      retry_(reactor_.context()) {}

std::optional<std::string> Listener::open(const tcp::endpoint& endpoint) {
  error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "cannot listen on " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) +
           ": " + ec.message();
  return std::nullopt;
}

std::uint16_t Listener::port() const {
  error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void Listener::start() {
  reactor_.post([self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  reactor_.post([self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
  });
}

void Listener::do_accept() {
  acceptor_.async_accept(reactor_.context(), [self = shared_from_this()](error_code ec, tcp::socket s) {
    self->on_accept(ec, std::move(s));
  });
}

void Listener::on_accept(const error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors (EMFILE/ENFILE) or a transient error: wait a little, keep serving.
    static log::Throttled& accept_failed = log::throttled(log::Category::net, log::Level::error, "accept_failed");
    accept_failed.event({{"error", ec.message()}});
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([self = shared_from_this()](error_code e) {
      if (!e) self->do_accept();
    });
    return;
  }
  AddressTicket ticket;
  if (auto refusal = admit_address(socket, ticket)) {
    refuse(socket, *refusal);
  } else {
    auto open = net_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    if (open >= net_.config.max_connections || net_.stopping.load(std::memory_order_relaxed)) {
      net_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
      net_.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
      refuse(socket,
             "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
             "Content-Length: 36\r\n\r\n{\"error\":\"connection limit reached\"}");
    } else {
      hand_off(std::move(socket), std::move(ticket));
    }
  }
  do_accept();
}

std::optional<std::string_view> Listener::admit_address(tcp::socket& socket, AddressTicket& ticket) {
  // The admin and redirect listeners serve operators and one redirect: not counted.
  if (surface_ != Surface::main || !net_.addresses.limited()) return std::nullopt;
  error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return std::nullopt;  // already gone: the session will find out
  // A trusted proxy speaks for many clients: they are counted at their upgrade (http_session.cpp).
  if (net_.trusted_proxies.contains(peer.address())) return std::nullopt;
  auto admission = net_.addresses.admit(address_key(peer.address()), std::chrono::steady_clock::now());
  if (admission.verdict == AddressLimits::Verdict::admitted) {
    ticket = std::move(admission.ticket);
    return std::nullopt;
  }
  const bool logged = log::enabled(log::Category::net, log::Level::info);
  return refusal_for(admission.verdict, net_.metrics.limits, logged ? peer.address().to_string() : std::string());
}

namespace {
std::string too_many_requests(std::string_view body) {
  return "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n"
         "Retry-After: 1\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}
}  // namespace

std::string_view refusal_for(AddressLimits::Verdict verdict, LimitCounters& counters, std::string_view client) {
  static const std::string kTooMany = too_many_requests(R"({"error":"too many connections from your address"})");
  static const std::string kTooFast = too_many_requests(R"({"error":"new connections too fast from your address"})");
  bool open = verdict == AddressLimits::Verdict::too_many_open;
  counters.refused(open ? Limit::ip_connections : Limit::ip_connection_rate, client);
  return open ? kTooMany : kTooFast;
}

void Listener::refuse(tcp::socket& socket, std::string_view response) {
  // One non-blocking write of a short answer: a refused client never holds a session. A TLS
  // client cannot read an answer before its handshake: it is only closed.
  error_code ignored;
  socket.non_blocking(true, ignored);
  if (!(net_.tls && surface_ == Surface::main)) socket.write_some(asio::buffer(response.data(), response.size()), ignored);
  socket.close(ignored);
}

void Listener::hand_off(tcp::socket socket, AddressTicket ticket) {
  unsigned target = next_;
  next_ = (next_ + 1) % reactors_.size();
  if (target == reactor_.index())
    return start_http_session(reactor_, net_, std::move(socket), surface_, std::move(ticket));
  error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  int fd = socket.release(ec);  // the descriptor leaves this reactor's event loop
  if (ec) {
    net_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  Reactor& to = reactors_.at(target);
  // The ticket travels in a shared_ptr: posted handlers must be copyable.
  auto held = std::make_shared<AddressTicket>(std::move(ticket));
  to.post([&to, &net = net_, fd, protocol, surface = surface_, held] {
    error_code e;
    tcp::socket s(to.context());
    s.assign(protocol, fd, e);
    if (e) {
      ::close(fd);
      net.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    start_http_session(to, net, std::move(s), surface, std::move(*held));
  });
}

}  // namespace cohort::net
