// listener.cpp — per-reactor accept loop: see listener.hpp.
#include "net/listener.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/socket_base.hpp>
#include <cstdio>

#include "net/http_session.hpp"

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
    std::fprintf(stderr, "cohort: accept failed: %s\n", ec.message().c_str());
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([self = shared_from_this()](error_code e) {
      if (!e) self->do_accept();
    });
    return;
  }
  auto open = net_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
  if (open >= net_.config.max_connections || net_.stopping.load(std::memory_order_relaxed)) {
    net_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
    net_.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
        "Content-Length: 36\r\n\r\n{\"error\":\"connection limit reached\"}";
    error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ignored);
    socket.close(ignored);
  } else {
    hand_off(std::move(socket));
  }
  do_accept();
}

void Listener::hand_off(tcp::socket socket) {
  unsigned target = next_;
  next_ = (next_ + 1) % reactors_.size();
  if (target == reactor_.index()) return start_http_session(reactor_, net_, std::move(socket), surface_);
  error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  int fd = socket.release(ec);  // the descriptor leaves this reactor's event loop
  if (ec) {
    net_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  Reactor& to = reactors_.at(target);
  to.post([&to, &net = net_, fd, protocol, surface = surface_] {
    error_code e;
    tcp::socket s(to.context());
    s.assign(protocol, fd, e);
    if (e) {
      ::close(fd);
      net.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    start_http_session(to, net, std::move(s), surface);
  });
}

}  // namespace cohort::net
